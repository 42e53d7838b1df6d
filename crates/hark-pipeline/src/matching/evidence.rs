//! The readable side of a decision's evidence: numbered reasons for and against the
//! customer, kept in the match's evidence map beside the method's fields (`for.1`,
//! `for.2`, `against.1`, ...), so that `hark match list` and the API show why.

use std::collections::BTreeMap;

/// Key prefix of reasons for the customer.
pub const FOR: &str = "for.";
/// Key prefix of reasons against (each one keeps the match from being automatic).
pub const AGAINST: &str = "against.";

/// The reasons written into `evidence`: (for, against), each in its order.
pub fn reasons(evidence: &BTreeMap<String, String>) -> (Vec<String>, Vec<String>) {
    (numbered(evidence, FOR), numbered(evidence, AGAINST))
}

/// The method's fields without the reasons.
pub fn fields(evidence: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    evidence.iter().filter(|(key, _)| !is_reason(key)).map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn is_reason(key: &str) -> bool {
    [FOR, AGAINST].iter().any(|prefix| key.strip_prefix(prefix).is_some_and(|n| n.parse::<usize>().is_ok()))
}

fn numbered(evidence: &BTreeMap<String, String>, prefix: &str) -> Vec<String> {
    let mut items: Vec<(usize, &String)> = evidence
        .iter()
        .filter_map(|(key, value)| key.strip_prefix(prefix).and_then(|n| n.parse().ok()).map(|n| (n, value)))
        .collect();
    items.sort_by_key(|(n, _)| *n);
    items.into_iter().map(|(_, value)| value.clone()).collect()
}

/// Writes the reasons into `evidence`, numbered from 1.
pub(crate) fn write(evidence: &mut BTreeMap<String, String>, reasons_for: &[String], against: &[String]) {
    for (prefix, list) in [(FOR, reasons_for), (AGAINST, against)] {
        for (n, reason) in list.iter().enumerate() {
            evidence.insert(format!("{prefix}{}", n + 1), reason.clone());
        }
    }
}

/// Text quoted from a post.
pub(crate) fn quote(snippet: &str) -> String {
    format!("“{}”", snippet.trim())
}

/// Adds `reason` unless it is already there.
pub(crate) fn add(list: &mut Vec<String>, reason: String) {
    if !list.contains(&reason) {
        list.push(reason);
    }
}
