//! `hark migrate-store`: a SQLite install copied into PostgreSQL and used from there. Needs the
//! test server of `scripts/with-postgres.sh` (`make test`); without one it says so and passes,
//! unless HARK_TEST_POSTGRES_REQUIRED=1.

use crate::support::Workspace;

/// A new, empty database on the test server.
fn empty_database(name: &str) -> Option<String> {
    let Ok(admin) = std::env::var("HARK_TEST_POSTGRES_URL") else {
        assert!(std::env::var("HARK_TEST_POSTGRES_REQUIRED").is_err(), "HARK_TEST_POSTGRES_URL is not set");
        eprintln!("no PostgreSQL server (HARK_TEST_POSTGRES_URL unset): skipped; `make test` starts one");
        return None;
    };
    let name = format!("{name}_{}", std::process::id());
    for sql in [format!("DROP DATABASE IF EXISTS {name}"), format!("CREATE DATABASE {name}")] {
        let done = std::process::Command::new("psql").args([admin.as_str(), "-q", "-c", &sql]).output().expect("psql");
        assert!(done.status.success(), "{sql}: {}", String::from_utf8_lossy(&done.stderr));
    }
    Some(format!("{}/{name}", admin.rsplit_once('/').expect("a database in the URL").0))
}

#[test]
fn a_sqlite_install_moves_to_postgres_and_reads_the_same() {
    let Some(url) = empty_database("hark_migrate") else { return };
    let ws = Workspace::embedded();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample");
    let customers = sample.join("customers.csv");
    let mentions = sample.join("mentions.jsonl");
    ws.run(&["import", "customers", customers.to_str().expect("UTF-8")]).assert_ok();
    ws.run(&["ingest", "--no-classify", mentions.to_str().expect("UTF-8")]).assert_ok();
    let before = ws.run(&["status", "--json"]);
    before.assert_ok();

    // A URL that is not PostgreSQL is refused with what to write instead.
    let bad = ws.run(&["migrate-store", "--to", "mysql://db/hark"]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("postgres://"), "{}", bad.stderr);

    let moved = ws.run(&["migrate-store", "--to", &url, "--json"]);
    moved.assert_ok();
    let summary = moved.json();
    let table = |name: &str| {
        summary["tables"].as_array().and_then(|tables| tables.iter().find(|t| t["table"] == name)).cloned()
    };
    assert_eq!(table("mentions").expect("mentions copied")["rows"], before.json()["mentions"]);
    assert_eq!(table("customers").expect("customers copied")["rows"], 200);

    // Pointed at the new database, hark sees what it saw in the file.
    let mut status = ws.command(&["status", "--json"]);
    status.env(hark_store::STORE_URL_ENV, &url);
    let after = status.output().expect("hark status");
    assert!(after.status.success(), "{}", String::from_utf8_lossy(&after.stderr));
    let after: serde_json::Value = serde_json::from_slice(&after.stdout).expect("JSON");
    for field in ["mentions", "customers", "matches", "queues"] {
        assert_eq!(after[field], before.json()[field], "{field}");
    }

    // Copying again into a database that holds data is refused.
    let again = ws.run(&["migrate-store", "--to", &url]);
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("already holds hark data"), "{}", again.stderr);
}
