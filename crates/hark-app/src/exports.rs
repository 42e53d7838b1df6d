//! Exports for the CRM and other tools: a queue's items and the prospects, as CSV or JSONL,
//! in the columns HubSpot's and Salesforce's importers map without manual work (or hark's own
//! generic columns).
//!
//! Each row is one author to act on. A matched customer's row carries the CRM's own id
//! (HubSpot "Record ID", Salesforce "Contact ID"), so an import updates that record rather
//! than creating a duplicate; everyone else becomes a lead. HubSpot needs an email or a name
//! per contact, Salesforce a Last Name and a Company per lead: a social handle stands in for
//! the name, and "[not provided]" (Salesforce's own placeholder) for an unknown company.

use std::collections::HashMap;

use hark_core::MentionId;
use hark_core::text::snippet;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context};
use crate::prospects::{ProspectView, ProspectsRequest};
use crate::queue::{ItemView, ListItems, MAX_LIMIT};
use crate::views::mention_views;

/// File format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    #[default]
    Csv,
    Jsonl,
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Jsonl => "application/x-ndjson",
        }
    }
}

/// Whose column names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CrmColumns {
    /// hark's own field names.
    #[default]
    Generic,
    Hubspot,
    Salesforce,
}

/// One exported file.
#[derive(Debug, Clone)]
pub struct Export {
    pub content_type: &'static str,
    /// A file name to suggest (`sales-queue-hubspot.csv`).
    pub file_name: String,
    pub rows: usize,
    pub body: String,
}

/// One row before it is named for a CRM.
#[derive(Debug, Default)]
struct Row {
    /// The CRM's id of a matched customer.
    crm_id: Option<String>,
    name: String,
    email: Option<String>,
    company: Option<String>,
    source: String,
    handle: Option<String>,
    url: Option<String>,
    /// Why this author is worth a call: the queue's reason or the prospect's intent.
    reason: String,
    /// The post itself, shortened.
    text: String,
    intent: Option<f32>,
    status: String,
    owner: Option<String>,
    extra: Vec<(&'static str, String)>,
}

fn columns(crm: CrmColumns) -> &'static [&'static str] {
    match crm {
        CrmColumns::Generic => &[
            "crm_id", "name", "email", "company", "source", "handle", "url", "reason", "text", "intent", "status",
            "owner",
        ],
        CrmColumns::Hubspot => &[
            "Record ID",
            "First Name",
            "Last Name",
            "Email",
            "Company Name",
            "Lead Status",
            "Contact owner",
            "Original Source Drill-Down 1",
            "Website URL",
            "Message",
        ],
        CrmColumns::Salesforce => &[
            "Contact ID",
            "First Name",
            "Last Name",
            "Email",
            "Company",
            "Lead Source",
            "Lead Status",
            "Owner",
            "Website",
            "Description",
        ],
    }
}

/// First and last name from a display name; a handle alone is the last name (both CRMs need
/// one of them).
fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    match name.rsplit_once(' ') {
        Some((first, last)) => (first.trim().to_owned(), last.trim().to_owned()),
        None => (String::new(), name.to_owned()),
    }
}

fn cells(row: &Row, crm: CrmColumns) -> Vec<String> {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let message = format!("{} | {}", row.reason, row.text);
    match crm {
        CrmColumns::Generic => {
            let mut cells = vec![
                text(&row.crm_id),
                row.name.clone(),
                text(&row.email),
                text(&row.company),
                row.source.clone(),
                text(&row.handle),
                text(&row.url),
                row.reason.clone(),
                row.text.clone(),
                row.intent.map(|intent| format!("{intent:.2}")).unwrap_or_default(),
                row.status.clone(),
                text(&row.owner),
            ];
            cells.extend(row.extra.iter().map(|(_, value)| value.clone()));
            cells
        }
        CrmColumns::Hubspot | CrmColumns::Salesforce => {
            let (first, last) = split_name(&row.name);
            let mut cells = vec![text(&row.crm_id), first, last, text(&row.email)];
            if crm == CrmColumns::Hubspot {
                cells.extend([text(&row.company), row.status.clone(), text(&row.owner), row.source.clone()]);
            } else {
                // Salesforce leads need a company: its own placeholder when unknown.
                let company = row.company.clone().unwrap_or_else(|| "[not provided]".to_owned());
                cells.extend([company, format!("hark: {}", row.source), row.status.clone(), text(&row.owner)]);
            }
            cells.extend([text(&row.url), message]);
            cells
        }
    }
}

fn render(rows: &[Row], format: ExportFormat, crm: CrmColumns) -> AppResult<String> {
    let mut headers: Vec<&str> = columns(crm).to_vec();
    if crm == CrmColumns::Generic {
        if let Some(first) = rows.first() {
            headers.extend(first.extra.iter().map(|(name, _)| *name));
        }
    }
    match format {
        ExportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(&headers).internal("writing CSV")?;
            for row in rows {
                writer
                    .write_record(cells(row, crm).iter().map(|cell| neutralise_formula(cell)))
                    .internal("writing CSV")?;
            }
            let bytes =
                writer.into_inner().map_err(|err| AppError::internal("writing CSV", anyhow::anyhow!("{err}")))?;
            String::from_utf8(bytes).internal("writing CSV")
        }
        ExportFormat::Jsonl => {
            let mut out = String::new();
            for row in rows {
                let object: serde_json::Map<String, serde_json::Value> = headers
                    .iter()
                    .zip(cells(row, crm))
                    .map(|(name, cell)| ((*name).to_owned(), serde_json::Value::String(cell)))
                    .collect();
                out.push_str(&serde_json::Value::Object(object).to_string());
                out.push('\n');
            }
            Ok(out)
        }
    }
}

/// Posts are written by strangers: a cell starting with `=`, `+`, `-`, `@` (or a tab or CR)
/// would run as a formula when the CSV is opened in a spreadsheet, so it is prefixed with `'`
/// (OWASP's advice for CSV injection).
fn neutralise_formula(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell.to_owned() }
}

fn item_row(item: &ItemView, customers: &HashMap<String, hark_core::Customer>) -> Row {
    let mention = &item.mention;
    let customer =
        mention.customer.as_ref().filter(|link| link.state != "proposed").and_then(|link| customers.get(&link.id));
    let handle = mention.author.handle.clone();
    let name = customer
        .map(|customer| customer.name.clone())
        .or_else(|| mention.author.name.clone())
        .or_else(|| handle.clone())
        .unwrap_or_else(|| "unknown author".to_owned());
    Row {
        crm_id: customer.map(|customer| customer.crm_ref.clone()),
        name,
        email: customer.and_then(|customer| customer.emails.first().cloned()),
        company: customer.and_then(|customer| customer.company.clone()),
        source: mention.source.clone(),
        handle,
        url: mention.url.clone(),
        reason: item.reason.clone(),
        text: snippet(&mention.text, 500),
        intent: mention.signals.as_ref().map(|signals| signals.intent),
        status: if customer.is_some() { "OPEN".to_owned() } else { "NEW".to_owned() },
        owner: item.assignee.clone().or_else(|| customer.and_then(|customer| customer.owner.clone())),
        extra: vec![
            ("item_id", item.item_id.to_string()),
            ("queue", item.queue.clone()),
            ("state", item.state.clone()),
            ("priority", item.priority.to_string()),
            ("due_at", item.due_at.map(|due| due.to_rfc3339()).unwrap_or_default()),
        ],
    }
}

/// A queue's items (those in `state`, or all open ones), one row per item.
pub async fn queue(
    app: &App,
    caller: &Caller,
    queue_name: &str,
    state: Option<&str>,
    format: ExportFormat,
    crm: CrmColumns,
) -> AppResult<Export> {
    let queue = crate::queue::parse_queue(queue_name)?;
    caller.require(Permission::Queue(queue))?;
    let mut items = Vec::new();
    let states: Vec<Option<String>> = match state {
        Some(state) => vec![Some(state.to_owned())],
        None => ["new", "assigned", "contacted"].iter().map(|state| Some((*state).to_owned())).collect(),
    };
    for state in states {
        let mut offset = 0;
        loop {
            let request = ListItems {
                queue: Some(queue.as_str().to_owned()),
                state: state.clone(),
                limit: Some(MAX_LIMIT),
                offset: Some(offset),
                ..ListItems::default()
            };
            let page = crate::queue::list(app, caller, &request).await?;
            let full = page.len() as i64 == MAX_LIMIT;
            items.extend(page);
            if !full {
                break;
            }
            offset += MAX_LIMIT;
        }
    }
    // Customer records for roles that may see them (the CRM id lets an import update the
    // record); emails and owners only for roles that may see contact details.
    let mut customers = HashMap::new();
    let contact_details = caller.may(Permission::ContactDetails);
    if caller.may(Permission::Customers) {
        let store = app.store().await.internal("opening the store")?;
        for item in &items {
            if let Some(link) = &item.mention.customer {
                if !customers.contains_key(&link.id) {
                    if let Some(customer) = store.customer(&link.id).await.internal("reading a customer")? {
                        customers.insert(link.id.clone(), customer);
                    }
                }
            }
        }
        if !contact_details {
            for customer in customers.values_mut() {
                customer.emails.clear();
                customer.owner = None;
            }
        } else if !customers.is_empty() {
            store
                .record_view(
                    &caller.name,
                    &format!("queue:{}", queue.as_str()),
                    "contact details (export)",
                    app.clock().now(),
                )
                .await
                .internal("recording the export in the audit log")?;
        }
    }
    let rows: Vec<Row> = items.iter().map(|item| item_row(item, &customers)).collect();
    Ok(Export {
        content_type: format.content_type(),
        file_name: file_name(&format!("{}-queue", queue.as_str()), format, crm),
        rows: rows.len(),
        body: render(&rows, format, crm)?,
    })
}

fn file_name(what: &str, format: ExportFormat, crm: CrmColumns) -> String {
    let crm = match crm {
        CrmColumns::Generic => "",
        CrmColumns::Hubspot => "-hubspot",
        CrmColumns::Salesforce => "-salesforce",
    };
    let extension = match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Jsonl => "jsonl",
    };
    format!("{what}{crm}.{extension}")
}

/// Prospects (best first) as leads.
pub async fn prospects(
    app: &App,
    caller: &Caller,
    request: &ProspectsRequest,
    format: ExportFormat,
    crm: CrmColumns,
) -> AppResult<Export> {
    let prospects = crate::prospects::prospects(app, caller, request).await?;
    let store = app.store().await.internal("opening the store")?;
    let mut rows = Vec::with_capacity(prospects.len());
    for prospect in &prospects {
        let evidence: Vec<MentionId> = prospect.evidence.iter().take(1).map(MentionId::from_raw).collect();
        let post = mention_views(store, &evidence).await?.pop();
        rows.push(prospect_row(prospect, post.as_ref()));
    }
    Ok(Export {
        content_type: format.content_type(),
        file_name: file_name("prospects", format, crm),
        rows: rows.len(),
        body: render(&rows, format, crm)?,
    })
}

fn prospect_row(prospect: &ProspectView, post: Option<&crate::views::MentionView>) -> Row {
    Row {
        crm_id: None,
        name: post.and_then(|post| post.author.name.clone()).unwrap_or_else(|| prospect.author.clone()),
        email: None,
        company: None,
        source: prospect.source.clone(),
        handle: Some(prospect.author.clone()),
        url: post.and_then(|post| post.url.clone()),
        reason: format!("buying intent {:.2}; topics: {}", prospect.intent, prospect.topics.join(", ")),
        text: post.map(|post| snippet(&post.text, 500)).unwrap_or_default(),
        intent: Some(prospect.intent),
        status: "NEW".to_owned(),
        owner: None,
        extra: vec![("last_seen", prospect.last_seen.to_rfc3339()), ("score", format!("{:.3}", prospect.score))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_would_run_as_formulas_are_neutralised() {
        assert_eq!(neutralise_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise_formula("plain"), "plain");
    }

    #[test]
    fn crm_columns_carry_the_names_each_importer_needs() {
        let row = Row {
            name: "Jane Doe".into(),
            source: "reddit".into(),
            reason: "buying intent 0.91".into(),
            text: "=cmd|' /C calc'!A0".into(),
            status: "NEW".into(),
            ..Row::default()
        };
        let csv = render(&[row], ExportFormat::Csv, CrmColumns::Salesforce).unwrap();
        insta::assert_snapshot!(csv, @r#"
        Contact ID,First Name,Last Name,Email,Company,Lead Source,Lead Status,Owner,Website,Description
        ,Jane,Doe,,[not provided],hark: reddit,NEW,,,buying intent 0.91 | =cmd|' /C calc'!A0
        "#);
        assert_eq!(split_name("tokafor"), (String::new(), "tokafor".to_owned()));
    }
}
