//! CRM import: real-world exports in, all or nothing, idempotent.

use crate::support::Workspace;

/// CSV-quotes a field when it needs it.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// A CSV document and the line each data row starts on.
struct Export {
    text: String,
    row_lines: Vec<usize>,
}

fn export(header: &[&str], rows: &[Vec<String>]) -> Export {
    let mut text = String::from("\u{feff}");
    text.push_str(&header.iter().map(|h| quote(h)).collect::<Vec<_>>().join(","));
    text.push_str("\r\n");
    let mut line = 2;
    let mut row_lines = Vec::new();
    for row in rows {
        row_lines.push(line);
        let rendered = row.iter().map(|field| quote(field)).collect::<Vec<_>>().join(",");
        line += rendered.matches('\n').count() + 1;
        text.push_str(&rendered);
        text.push_str("\r\n");
    }
    Export { text, row_lines }
}

const HUBSPOT_HEADER: &[&str] = &[
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Company Name",
    "Website URL",
    "Twitter Username",
    "Lifecycle Stage",
    "Contact owner",
    "Notes",
];

/// `n` HubSpot rows with the awkward parts real exports have: commas and quotes in company
/// names, newlines in notes, mixed-case emails and URLs.
fn hubspot_rows(n: usize) -> Vec<Vec<String>> {
    (0..n)
        .map(|i| {
            let company = match i % 7 {
                0 => format!("Smith, Jones & Co {i}"),
                1 => format!("The \"Best\" Widgets {i}"),
                _ => format!("Company {i}"),
            };
            let notes = if i % 5 == 0 { format!("Met at expo.\nFollow up, soon.\n\"VIP\" {i}") } else { String::new() };
            vec![
                (1000 + i).to_string(),
                format!("First{i}"),
                if i % 3 == 0 { format!("O'Last-{i}") } else { format!("Last{i}") },
                format!("Person{i}@Company{i}.Example"),
                company,
                format!("https://www.company{i}.example/about"),
                if i % 2 == 0 { format!("@handle{i}") } else { String::new() },
                "customer".to_owned(),
                "Sam Owner".to_owned(),
                notes,
            ]
        })
        .collect()
}

#[test]
fn hubspot_export_imports_completely_and_reimport_changes_nothing() {
    let ws = Workspace::new();
    let file = export(HUBSPOT_HEADER, &hubspot_rows(300));
    ws.write("hubspot.csv", &file.text);

    let dry = ws.run(&["import", "customers", "hubspot.csv", "--dry-run", "--json"]);
    dry.assert_ok();
    assert_eq!(dry.json()["created"], 300);
    assert_eq!(
        ws.run(&["customers", "list", "--json"]).json().as_array().unwrap().len(),
        0,
        "a dry run writes nothing"
    );

    let first = ws.run(&["import", "customers", "hubspot.csv", "--json"]);
    first.assert_ok();
    let report = first.json();
    assert_eq!((report["format"].as_str(), report["created"].as_u64()), (Some("hubspot"), Some(300)));

    let listed = ws.run(&["customers", "list", "--json"]);
    let customers = listed.json();
    assert_eq!(customers.as_array().unwrap().len(), 300);
    let by_ref =
        |crm_ref: &str| customers.as_array().unwrap().iter().find(|c| c["crm_ref"] == crm_ref).unwrap().clone();
    let c0 = by_ref("1000");
    assert_eq!(c0["name"], "First0 O'Last-0");
    assert_eq!(c0["emails"], serde_json::json!(["person0@company0.example"]));
    assert_eq!(c0["company"], "Smith, Jones & Co 0");
    assert_eq!(c0["domains"], serde_json::json!(["company0.example"]));
    assert_eq!(c0["handles"]["twitter"], "handle0");
    assert_eq!(c0["extra"]["Notes"], "Met at expo.\nFollow up, soon.\n\"VIP\" 0");
    assert_eq!(c0["extra"]["Lifecycle Stage"], "customer");
    assert_eq!(by_ref("1001")["company"], "The \"Best\" Widgets 1");

    let again = ws.run(&["import", "customers", "hubspot.csv", "--json"]);
    again.assert_ok();
    let report = again.json();
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64(), report["unchanged"].as_u64()),
        (Some(0), Some(0), Some(300))
    );
    assert_eq!(ws.run(&["customers", "list", "--json"]).stdout, listed.stdout, "re-import must not touch any record");

    // A changed export updates exactly the changed records, by CRM id.
    let mut rows = hubspot_rows(300);
    rows[7][4] = "Renamed Ltd".to_owned();
    ws.write("hubspot.csv", export(HUBSPOT_HEADER, &rows).text);
    let changed = ws.run(&["import", "customers", "hubspot.csv", "--json"]);
    assert_eq!((changed.json()["updated"].as_u64(), changed.json()["created"].as_u64()), (Some(1), Some(0)));
    let shown = ws.run(&["customers", "show", "1007", "--json"]);
    assert_eq!(shown.json()["company"], "Renamed Ltd");
}

#[test]
fn salesforce_report_imports_completely() {
    let ws = Workspace::new();
    let header = &[
        "Contact ID",
        "First Name",
        "Last Name",
        "Title",
        "Email",
        "Account Name",
        "Account: Website",
        "Contact Owner",
        "Mailing Street",
    ];
    let rows: Vec<Vec<String>> = (0..250)
        .map(|i| {
            vec![
                format!("0035g00000{i:05}AAA"),
                format!("Ana{i}"),
                format!("García-{i}"),
                if i % 4 == 0 { "VP, Sales".to_owned() } else { "Engineer".to_owned() },
                format!("ana{i}@acct{}.example", i % 20),
                format!("Account {}, Inc.", i % 20),
                format!("acct{}.example", i % 20),
                "Pat Lee".to_owned(),
                if i % 6 == 0 { format!("{i} Main St\nSuite 100") } else { format!("{i} Main St") },
            ]
        })
        .collect();
    ws.write("salesforce.csv", export(header, &rows).text);
    let run = ws.run(&["import", "customers", "salesforce.csv", "--json"]);
    run.assert_ok();
    assert_eq!((run.json()["format"].as_str(), run.json()["created"].as_u64()), (Some("salesforce"), Some(250)));
    let shown = ws.run(&["customers", "show", "0035g0000000006AAA", "--json"]).json();
    assert_eq!(shown["name"], "Ana6 García-6");
    assert_eq!(shown["company"], "Account 6, Inc.");
    assert_eq!(shown["extra"]["Mailing Street"], "6 Main St\nSuite 100");
    assert_eq!(shown["extra"]["Title"], "Engineer");
    let again = ws.run(&["import", "customers", "salesforce.csv", "--json"]);
    assert_eq!(again.json()["unchanged"], 250);
}

#[test]
fn one_bad_row_among_many_imports_nothing_and_names_its_line() {
    let ws = Workspace::new();
    ws.write("good.csv", export(HUBSPOT_HEADER, &hubspot_rows(300)).text);
    ws.run(&["import", "customers", "good.csv"]).assert_ok();
    let before = ws.run(&["customers", "list", "--json"]).stdout;

    // Many rows change, one is broken: none of the changes may land.
    let mut rows = hubspot_rows(400);
    for row in rows.iter_mut().take(50) {
        row[4] = "Changed Co".to_owned();
    }
    rows[217][3] = "broken-at-example.com".to_owned();
    let file = export(HUBSPOT_HEADER, &rows);
    ws.write("bad.csv", &file.text);
    let run = ws.run(&["import", "customers", "bad.csv"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let bad_line = file.row_lines[217];
    assert!(bad_line > 219, "embedded newlines push the line number past the row number");
    assert!(
        run.stderr.contains(&format!("bad.csv: line {bad_line}: malformed email \"broken-at-example.com\"")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("1 bad row; nothing was imported"), "{}", run.stderr);
    assert_eq!(ws.run(&["customers", "list", "--json"]).stdout, before, "the store must be exactly as before");
}

#[test]
fn import_errors_are_clear() {
    let ws = Workspace::new();
    let missing = ws.run(&["import", "customers", "nope.csv"]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("opening nope.csv"), "{}", missing.stderr);

    ws.write("odd.csv", "foo,bar\n1,2\n");
    let odd = ws.run(&["import", "customers", "odd.csv"]);
    assert_eq!(odd.code, 1);
    assert!(odd.stderr.contains("cannot tell the CRM layout from the header row (foo, bar)"), "{}", odd.stderr);

    let unknown = ws.run(&["customers", "show", "c_nope"]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("hark customers list"), "{}", unknown.stderr);
}
