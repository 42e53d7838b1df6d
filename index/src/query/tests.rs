//! The query-language table: every operator, combinations, precedence, and malformed queries
//! with their exact messages. The whole table is one snapshot (`snapshots/`), reviewed as a
//! document: input on one line, the normalised tree or the error below it.

use super::*;

const VALID: &[&str] = &[
    // words, implicit and explicit AND
    "acme",
    "Acme CRM",
    "acme AND pricing",
    "acme && pricing",
    "acme-crm",
    // OR, NOT, minus
    "acme OR pipedrive",
    "acme || pipedrive",
    "acme NOT churn",
    "acme -churn",
    "-churn",
    "NOT NOT acme",
    "acme -\"free trial\"",
    "acme -(pipedrive OR hubspot)",
    // precedence: NOT > NEAR > AND > OR
    "a b OR c",
    "a OR b c",
    "a OR b AND c OR d",
    "(a OR b) c",
    "NOT a OR b",
    "((acme))",
    // phrases
    "\"free trial\"",
    "\"Acme CRM\" pricing",
    // proximity
    "acme NEAR/5 pricing",
    "acme ONEAR/3 pricing",
    "\"acme crm\" NEAR/2 expensive",
    "acme NEAR/0 crm",
    "NOT acme NEAR/5 pricing",
    "acme NEAR/5 pricing OR cost",
    // prefix and *
    "pric*",
    "acme pric*",
    "*",
    "* -source:reddit",
    // field operators
    "source:reddit",
    "source:HN-Backfill",
    "author:jdoe",
    "author:\"Jane Doe\"",
    "title:pricing",
    "title:\"free trial\"",
    "title:pric*",
    "site:example.com",
    "site:https://www.Example.com/path?q=1",
    "lang:EN",
    "type:post",
    "type:Comment",
    "SOURCE:reddit",
    // dates
    "published:2026-01-01..2026-02-01",
    "published:2026-01-01..",
    "published:..2026-02-01",
    "published:2026-03-04",
    "published:2026-01-01T10:00:00Z..2026-01-01T12:00:00+01:00",
    "after:2026-01-01",
    "before:2026-02-01",
    "after:2026-01-01T10:00:00Z",
    // signals
    "complaint:>0.7",
    "complaint:>=0.7",
    "intent:<0.2",
    "intent:<=0.25",
    "intent:0.6",
    "sentiment:negative",
    "sentiment:Positive",
    "customer:yes",
    "customer:no",
    // words that look like fields but are not
    "https://example.com/x",
    "10:30",
    // combinations
    "(acme OR \"acme crm\") complaint:>0.7 -customer:yes source:reddit",
    "pricing NEAR/4 acme pric* sentiment:negative after:2026-01-01",
    "title:outage OR (status NEAR/3 down) type:post lang:en",
];

const INVALID: &[&str] = &[
    "",
    "   ",
    "acme (pricing",
    "acme (pricing OR (cost)",
    "acme)",
    "()",
    "acme AND",
    "acme OR",
    "acme OR OR pipedrive",
    "AND acme",
    "acme NOT",
    "acme -",
    "\"free trial",
    "acme \"\"",
    "acme NEAR pricing",
    "acme NEAR/x pricing",
    "acme NEAR/1000 pricing",
    "acme NEAR/5",
    "acme NEAR/5 (a OR b)",
    "(a OR b) NEAR/5 c",
    "a NEAR/2 b NEAR/2 c",
    "acme NEAR/3 pric*",
    "pric* NEAR/3 acme",
    "*cme",
    "p*",
    "ac*me",
    "!!!",
    "foo:bar",
    "source:",
    "source:\"two words\"",
    "type:story",
    "lang:e",
    "site:exa_mple.com",
    "site:/path",
    "published:2026-13-01",
    "published:2026-01-01..2026-02-30",
    "published:2026-02-01..2026-01-01",
    "published:..",
    "after:yesterday",
    "complaint:>1.5",
    "complaint:high",
    "intent:>",
    "sentiment:angry",
    "customer:maybe",
    "title:",
    "author:*",
    "acme ) pricing",
];

fn render(table: &[&str]) -> String {
    let mut out = String::new();
    for input in table {
        out.push_str(&format!("{input:?}\n"));
        match parse(input) {
            Ok(query) => out.push_str(&format!("  => {query}\n")),
            Err(err) => out.push_str(&format!("  !! {} [column {}]\n", err.message, err.column)),
        }
    }
    out
}

#[test]
fn valid_queries_table() {
    for input in VALID {
        assert!(parse(input).is_ok(), "{input:?} should parse: {:?}", parse(input));
    }
    insta::assert_snapshot!(render(VALID));
}

#[test]
fn malformed_queries_table() {
    for input in INVALID {
        assert!(parse(input).is_err(), "{input:?} should not parse: {:?}", parse(input));
    }
    insta::assert_snapshot!(render(INVALID));
}

#[test]
fn precedence_is_not_near_and_or() {
    let shown = |query: &str| parse(query).map(|q| q.to_string()).unwrap_or_else(|err| err.message);
    assert_eq!(shown("a b OR c"), "(OR (AND a b) c)");
    assert_eq!(shown("a OR b c"), "(OR a (AND b c))");
    assert_eq!(shown("NOT a b"), "(AND (NOT a) b)");
    assert_eq!(shown("-a NEAR/2 b"), "(NOT (NEAR/2 a b))");
    assert_eq!(shown("a NEAR/2 b c"), "(AND (NEAR/2 a b) c)");
}

#[test]
fn the_example_error_points_at_the_end() {
    let err = parse("acme (pricing OR cost").unwrap_err();
    assert_eq!(err.message, "expected ')' to close '(' at column 6, found end of query at column 22");
    assert_eq!(err.column, 22);
    assert_eq!(err.pointer("acme (pricing OR cost").lines().last().unwrap().len(), 2 + 21 + 1);
}

#[test]
fn columns_count_characters_not_bytes() {
    let err = parse("café (crème").unwrap_err();
    assert_eq!(err.column, 12, "{}", err.message);
}

#[test]
fn ranked_queries_have_words_outside_not() {
    assert!(parse("acme source:reddit").unwrap().is_ranked());
    assert!(parse("title:outage").unwrap().is_ranked());
    assert!(!parse("* -acme").unwrap().is_ranked());
    assert!(!parse("source:reddit complaint:>0.5").unwrap().is_ranked());
}

#[test]
fn and_combines_without_nesting() {
    let query = parse("a b").unwrap().and(parse("source:x").unwrap());
    assert_eq!(query.to_string(), "(AND a b source:x)");
    assert_eq!(Query::All.and(parse("a").unwrap()).to_string(), "a");
}
