//! CRM exports (CSV) → customer records, validated as a whole.
//!
//! Three layouts are understood: a HubSpot contacts export, a Salesforce contacts report and
//! hark's generic layout (see README.md, "Importing customers"); `auto` picks one from the
//! header row. Reading is strict and complete: every bad row is reported with its line
//! number and reason, and if there is any, nothing is imported. Columns hark has no field
//! for are kept on the record as `extra`.
//!
//! Normalisation: emails and domains lower case (`www.`, scheme and path dropped from
//! websites), handles per source through [`hark_core::handle::normalize`], names trimmed.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{BufRead, BufReader, Read};

use chrono::{DateTime, Utc};
use hark_core::contact::{normalize_domain, normalize_email};
use hark_core::{Customer, CustomerId, handle};

/// Which CRM layout a file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrmFormat {
    Auto,
    Hubspot,
    Salesforce,
    Generic,
}

impl CrmFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            CrmFormat::Auto => "auto",
            CrmFormat::Hubspot => "hubspot",
            CrmFormat::Salesforce => "salesforce",
            CrmFormat::Generic => "generic",
        }
    }
}

/// A row that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file where the row starts (the header is line 1).
    pub line: u64,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty: expected a header row")]
    Empty,
    #[error("cannot read the header row: {0}")]
    Header(String),
    #[error(
        "cannot tell the CRM layout from the header row ({found}); use --format, or name the columns as README.md \
         describes (generic: name, email, company, domain, crm_id, ...)"
    )]
    UnknownLayout { found: String },
    #[error("the header row has no column for {missing} (layout {format})")]
    MissingColumn { format: &'static str, missing: String },
    #[error("{} bad row{}; nothing was imported", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Rows(Vec<RowError>),
}

/// The customers a file holds, ready to store.
#[derive(Debug, Clone)]
pub struct ParsedImport {
    pub format: CrmFormat,
    pub customers: Vec<Customer>,
    /// Rows with no values at all, skipped.
    pub blank_rows: usize,
}

/// What a column means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    CrmRef,
    FullName,
    FirstName,
    LastName,
    Email,
    ExtraEmails,
    Company,
    Website,
    Handle(&'static str),
    Products,
    Tier,
    Owner,
}

/// Header names (lower case) per layout.
const HUBSPOT: &[(&str, Field)] = &[
    ("record id", Field::CrmRef),
    ("contact id", Field::CrmRef),
    ("first name", Field::FirstName),
    ("last name", Field::LastName),
    ("email", Field::Email),
    ("additional email addresses", Field::ExtraEmails),
    ("company name", Field::Company),
    ("website url", Field::Website),
    ("twitter username", Field::Handle("twitter")),
    ("contact owner", Field::Owner),
];

const SALESFORCE: &[(&str, Field)] = &[
    ("contact id", Field::CrmRef),
    ("first name", Field::FirstName),
    ("last name", Field::LastName),
    ("full name", Field::FullName),
    ("email", Field::Email),
    ("account name", Field::Company),
    ("account: website", Field::Website),
    ("website", Field::Website),
    ("contact owner", Field::Owner),
];

const GENERIC: &[(&str, Field)] = &[
    ("crm_id", Field::CrmRef),
    ("name", Field::FullName),
    ("email", Field::Email),
    ("emails", Field::Email),
    ("company", Field::Company),
    ("domain", Field::Website),
    ("domains", Field::Website),
    ("reddit", Field::Handle("reddit")),
    ("hackernews", Field::Handle("hackernews")),
    ("mastodon", Field::Handle("mastodon")),
    ("bluesky", Field::Handle("bluesky")),
    ("stackexchange", Field::Handle("stackexchange")),
    ("twitter", Field::Handle("twitter")),
    ("products", Field::Products),
    ("tier", Field::Tier),
    ("owner", Field::Owner),
];

fn layout(format: CrmFormat) -> &'static [(&'static str, Field)] {
    match format {
        CrmFormat::Hubspot => HUBSPOT,
        CrmFormat::Salesforce => SALESFORCE,
        CrmFormat::Generic | CrmFormat::Auto => GENERIC,
    }
}

fn detect(headers: &[String]) -> Option<CrmFormat> {
    let has = |name: &str| headers.iter().any(|header| header == name);
    if has("record id") {
        Some(CrmFormat::Hubspot)
    } else if has("contact id") || has("account name") {
        Some(CrmFormat::Salesforce)
    } else if has("name") || has("email") || has("emails") || has("crm_id") {
        Some(CrmFormat::Generic)
    } else {
        None
    }
}

/// Turns CRLF line ends into LF as bytes stream through. The CSV reader counts lines by
/// `\n` but ends a CRLF record at the `\r`, which would put every row of a Windows export
/// one line early in error messages; line breaks inside quoted fields become `\n` too.
struct CrlfToLf<R> {
    inner: R,
}

impl<R: BufRead> Read for CrlfToLf<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let mut written = 0;
        while written < out.len() {
            let buffer = self.inner.fill_buf()?;
            let Some(&first) = buffer.first() else { break };
            if first == b'\r' {
                self.inner.consume(1);
                if self.inner.fill_buf()?.first() != Some(&b'\n') {
                    out[written] = b'\r';
                    written += 1;
                }
                continue;
            }
            let run = buffer.iter().position(|&byte| byte == b'\r').unwrap_or(buffer.len()).min(out.len() - written);
            out[written..written + run].copy_from_slice(&buffer[..run]);
            self.inner.consume(run);
            written += run;
        }
        Ok(written)
    }
}

/// Reads a CRM export. `now` stamps the records' `updated_at`.
pub fn parse_customers<R: Read>(input: R, format: CrmFormat, now: DateTime<Utc>) -> Result<ParsedImport, ImportError> {
    let input = CrlfToLf { inner: BufReader::new(input) };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(input);
    let raw_headers = reader.byte_headers().map_err(|err| ImportError::Header(err.to_string()))?.clone();
    if raw_headers.is_empty() || raw_headers.iter().all(<[u8]>::is_empty) {
        return Err(ImportError::Empty);
    }
    let headers: Vec<String> = raw_headers
        .iter()
        .enumerate()
        .map(|(index, bytes)| {
            let bytes = if index == 0 { bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes) } else { bytes };
            String::from_utf8_lossy(bytes).trim().to_lowercase()
        })
        .collect();
    let original_headers: Vec<String> = raw_headers
        .iter()
        .enumerate()
        .map(|(index, bytes)| {
            let bytes = if index == 0 { bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes) } else { bytes };
            String::from_utf8_lossy(bytes).trim().to_owned()
        })
        .collect();
    let format = match format {
        CrmFormat::Auto => {
            detect(&headers).ok_or_else(|| ImportError::UnknownLayout { found: original_headers.join(", ") })?
        }
        chosen => chosen,
    };
    let columns: Vec<Option<Field>> = headers
        .iter()
        .map(|header| layout(format).iter().find(|(name, _)| name == header).map(|(_, field)| *field))
        .collect();
    let needs_ref = matches!(format, CrmFormat::Hubspot | CrmFormat::Salesforce);
    if needs_ref && !columns.contains(&Some(Field::CrmRef)) {
        let missing = if format == CrmFormat::Hubspot { "\"Record ID\"" } else { "\"Contact ID\"" };
        return Err(ImportError::MissingColumn { format: format.as_str(), missing: missing.to_owned() });
    }
    if !columns.iter().any(|c| matches!(c, Some(Field::Email | Field::FullName | Field::FirstName | Field::LastName))) {
        return Err(ImportError::MissingColumn { format: format.as_str(), missing: "a name or an email".to_owned() });
    }

    let mut customers = Vec::new();
    let mut errors = Vec::new();
    let mut blank_rows = 0;
    let mut first_line_of_ref: HashMap<String, u64> = HashMap::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => {
                let line = err.position().map_or(line, csv::Position::line);
                errors.push(RowError { line, message: format!("unreadable CSV: {err}") });
                continue;
            }
        }
        let line = record.position().map_or(line, csv::Position::line);
        if record.iter().all(|field| field.iter().all(u8::is_ascii_whitespace)) {
            blank_rows += 1;
            continue;
        }
        if record.len() != headers.len() {
            errors.push(RowError {
                line,
                message: format!(
                    "has {} fields but the header has {} (an unclosed quote or a stray comma?)",
                    record.len(),
                    headers.len()
                ),
            });
            continue;
        }
        match row_to_customer(&record, &columns, &original_headers, needs_ref, now) {
            Ok(customer) => {
                if let Some(first) = first_line_of_ref.get(&customer.crm_ref) {
                    errors.push(RowError {
                        line,
                        message: format!("duplicate CRM id {:?} (first on line {first})", customer.crm_ref),
                    });
                    continue;
                }
                first_line_of_ref.insert(customer.crm_ref.clone(), line);
                customers.push(customer);
            }
            Err(message) => errors.push(RowError { line, message }),
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Rows(errors));
    }
    Ok(ParsedImport { format, customers, blank_rows })
}

/// Splits a cell holding several values (`a@x.com; b@y.com`).
fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split([';', ',', '|']).map(str::trim).filter(|item| !item.is_empty())
}

fn row_to_customer(
    record: &csv::ByteRecord,
    columns: &[Option<Field>],
    headers: &[String],
    needs_ref: bool,
    now: DateTime<Utc>,
) -> Result<Customer, String> {
    let mut crm_ref = None;
    let (mut full_name, mut first_name, mut last_name) = (None, None, None);
    let mut emails: Vec<String> = Vec::new();
    let mut domains: Vec<String> = Vec::new();
    let mut handles = BTreeMap::new();
    let mut products = Vec::new();
    let (mut company, mut tier, mut owner) = (None, None, None);
    let mut extra = BTreeMap::new();
    let mut problems = Vec::new();

    for ((bytes, column), header) in record.iter().zip(columns).zip(headers) {
        let Ok(value) = std::str::from_utf8(bytes) else {
            problems.push(format!("column {header:?} is not valid UTF-8 (save the export as UTF-8)"));
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let owned = Some(value.to_owned());
        match column {
            Some(Field::CrmRef) => crm_ref = owned,
            Some(Field::FullName) => full_name = owned,
            Some(Field::FirstName) => first_name = owned,
            Some(Field::LastName) => last_name = owned,
            Some(Field::Email | Field::ExtraEmails) => {
                for email in split_list(value) {
                    match normalize_email(email) {
                        Some(email) if !emails.contains(&email) => emails.push(email),
                        Some(_) => {}
                        None => problems.push(format!("malformed email {email:?}")),
                    }
                }
            }
            Some(Field::Company) => company = owned,
            Some(Field::Website) => {
                for site in split_list(value) {
                    match normalize_domain(site) {
                        Some(domain) if !domains.contains(&domain) => domains.push(domain),
                        Some(_) => {}
                        None => problems.push(format!("malformed website or domain {site:?}")),
                    }
                }
            }
            Some(Field::Handle(kind)) => match handle::normalize(kind, value) {
                Some(normalized) => {
                    handles.insert((*kind).to_owned(), normalized);
                }
                None => problems.push(format!("{kind} handle {value:?} is not a handle or profile URL")),
            },
            Some(Field::Products) => products.extend(split_list(value).map(str::to_owned)),
            Some(Field::Tier) => tier = owned,
            Some(Field::Owner) => owner = owned,
            None => {
                if !header.is_empty() {
                    extra.insert(header.clone(), value.to_owned());
                }
            }
        }
    }

    let joined = [first_name, last_name].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let name = full_name.or((!joined.is_empty()).then_some(joined));
    if name.is_none() && emails.is_empty() && problems.is_empty() {
        problems.push("no name and no email".to_owned());
    }
    if needs_ref && crm_ref.is_none() {
        problems.push("no CRM id (the export's id column is empty)".to_owned());
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    let crm_ref = crm_ref.unwrap_or_else(|| match emails.first() {
        Some(email) => format!("email:{email}"),
        None => format!(
            "name:{}|{}",
            name.as_deref().unwrap_or_default().to_lowercase(),
            company.as_deref().unwrap_or_default().to_lowercase()
        ),
    });
    let name = name.unwrap_or_else(|| emails[0].clone());
    Ok(Customer {
        id: CustomerId::for_crm_ref(&crm_ref),
        crm_ref,
        name,
        emails,
        company,
        domains,
        handles,
        products,
        tier,
        owner,
        extra,
        updated_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(csv: &str, format: CrmFormat) -> Result<ParsedImport, ImportError> {
        parse_customers(csv.as_bytes(), format, Utc::now())
    }

    fn row_errors(csv: &str) -> Vec<String> {
        match parse(csv, CrmFormat::Auto) {
            Err(ImportError::Rows(errors)) => errors.iter().map(ToString::to_string).collect(),
            other => panic!("expected row errors, got {other:?}"),
        }
    }

    #[test]
    fn hubspot_export_with_bom_quotes_and_newlines() {
        let csv = "\u{feff}Record ID,First Name,Last Name,Email,Company Name,Website URL,Twitter Username,Lifecycle Stage,Contact owner,Phone Number\n\
                   101,Ada,Lovelace,ADA@Example.com,\"Analytical, Engines Ltd\",https://www.Example.com/about,@AdaL,customer,Sam Owner,\n\
                   102,Grace,Hopper,grace@navy.example,\"The \"\"Navy\"\"\nReserve\",navy.example,,lead,,555-0100\n";
        let parsed = parse(csv, CrmFormat::Auto).unwrap();
        assert_eq!(parsed.format, CrmFormat::Hubspot);
        let ada = &parsed.customers[0];
        assert_eq!(ada.crm_ref, "101");
        assert_eq!(ada.name, "Ada Lovelace");
        assert_eq!(ada.emails, ["ada@example.com"]);
        assert_eq!(ada.company.as_deref(), Some("Analytical, Engines Ltd"));
        assert_eq!(ada.domains, ["example.com"]);
        assert_eq!(ada.handles.get("twitter").map(String::as_str), Some("adal"));
        assert_eq!(ada.owner.as_deref(), Some("Sam Owner"));
        assert_eq!(ada.extra.get("Lifecycle Stage").map(String::as_str), Some("customer"));
        let grace = &parsed.customers[1];
        assert_eq!(grace.company.as_deref(), Some("The \"Navy\"\nReserve"));
        assert_eq!(grace.extra.get("Phone Number").map(String::as_str), Some("555-0100"));
    }

    #[test]
    fn salesforce_report() {
        let csv = "Contact ID,First Name,Last Name,Email,Account Name,Account: Website,Title,Contact Owner\n\
                   0035g00000ABCDE,Linus,T,linus@kernel.example,Kernel Inc,www.kernel.example,Maintainer,Pat\n";
        let parsed = parse(csv, CrmFormat::Auto).unwrap();
        assert_eq!(parsed.format, CrmFormat::Salesforce);
        let linus = &parsed.customers[0];
        assert_eq!(linus.crm_ref, "0035g00000ABCDE");
        assert_eq!(linus.domains, ["kernel.example"]);
        assert_eq!(linus.extra.get("Title").map(String::as_str), Some("Maintainer"));
    }

    #[test]
    fn generic_layout_with_handles_products_and_derived_ref() {
        let csv = "name,email,company,domain,reddit,mastodon,bluesky,products,tier,owner\n\
                   Jo Doe,jo@acme.example; JO@home.example,Acme,acme.example,u/JoDoe,https://fosstodon.org/@jo,@jo.bsky.social,Acme Inbox; Acme Sync,gold,Kim\n";
        let parsed = parse(csv, CrmFormat::Generic).unwrap();
        let jo = &parsed.customers[0];
        assert_eq!(jo.crm_ref, "email:jo@acme.example");
        assert_eq!(jo.emails, ["jo@acme.example", "jo@home.example"]);
        assert_eq!(jo.handles.get("reddit").map(String::as_str), Some("jodoe"));
        assert_eq!(jo.handles.get("mastodon").map(String::as_str), Some("jo@fosstodon.org"));
        assert_eq!(jo.handles.get("bluesky").map(String::as_str), Some("jo.bsky.social"));
        assert_eq!(jo.products, ["Acme Inbox", "Acme Sync"]);
        assert_eq!(jo.tier.as_deref(), Some("gold"));
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let errors = row_errors(
            "crm_id,name,email\n\
             1,Good Person,good@example.com\n\
             2,,\n\
             3,Bad Mail,not-an-email\n\
             \"4\",\"Multi\nLine\",multi@example.com\n\
             1,Again,again@example.com\n\
             5,Too,many,fields\n",
        );
        assert_eq!(
            errors,
            [
                "line 3: no name and no email",
                "line 4: malformed email \"not-an-email\"",
                "line 7: duplicate CRM id \"1\" (first on line 2)",
                "line 8: has 4 fields but the header has 3 (an unclosed quote or a stray comma?)",
            ]
        );
    }

    #[test]
    fn invalid_utf8_is_a_row_error() {
        let mut csv = b"name,email\nok,ok@example.com\n".to_vec();
        csv.extend_from_slice(b"caf\xe9,x@example.com\n");
        match parse_customers(csv.as_slice(), CrmFormat::Auto, Utc::now()) {
            Err(ImportError::Rows(errors)) => {
                assert_eq!(errors[0].line, 3);
                assert!(errors[0].message.contains("not valid UTF-8"), "{}", errors[0]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn layout_problems() {
        assert!(matches!(parse("", CrmFormat::Auto), Err(ImportError::Empty)));
        assert!(matches!(parse("foo,bar\n1,2\n", CrmFormat::Auto), Err(ImportError::UnknownLayout { .. })));
        assert!(matches!(
            parse("First Name,Email\nA,a@b.co\n", CrmFormat::Hubspot),
            Err(ImportError::MissingColumn { .. })
        ));
    }

    #[test]
    fn windows_line_ends_give_the_right_line_numbers() {
        let errors = row_errors("name,email\r\nA,\"a@x.co\"\r\nB,\"multi\r\nline\"\r\nC,c@x.co\r\nD,bad\r\n");
        assert_eq!(errors, ["line 3: malformed email \"multi\\nline\"", "line 6: malformed email \"bad\""]);
        let parsed = parse("name,email\r\n\"A\rB\",a@x.co", CrmFormat::Auto).unwrap();
        assert_eq!(parsed.customers[0].name, "A\rB", "a lone CR inside quotes is data");
    }

    #[test]
    fn blank_rows_are_skipped() {
        let parsed = parse("name,email\n,\nA,a@b.co\n\n", CrmFormat::Auto).unwrap();
        assert_eq!(parsed.customers.len(), 1);
        assert_eq!(parsed.blank_rows, 1);
    }
}
