//! One text form for every stored timestamp, fixed width so that text order is time order.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::StoreError;

const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

pub(crate) fn encode(at: DateTime<Utc>) -> String {
    at.format(FORMAT).to_string()
}

pub(crate) fn decode(raw: &str) -> Result<DateTime<Utc>, StoreError> {
    NaiveDateTime::parse_from_str(raw, FORMAT)
        .map(|naive| naive.and_utc())
        .or_else(|_| DateTime::parse_from_rfc3339(raw).map(|at| at.to_utc()))
        .map_err(|err| StoreError::Corrupt { what: "timestamp", detail: format!("{raw:?}: {err}") })
}

pub(crate) fn decode_opt(raw: Option<&str>) -> Result<Option<DateTime<Utc>>, StoreError> {
    raw.map(decode).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_sorts_as_text() {
        let a = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.5Z").unwrap().to_utc();
        let b = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.25Z").unwrap().to_utc();
        assert_eq!(decode(&encode(a)).unwrap(), a);
        assert!(encode(b) < encode(a));
    }
}
