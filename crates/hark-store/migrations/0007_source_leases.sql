-- Who fetches a source now, when several fetchers share the store (`hark run --role fetch`):
-- one holder per source until `expires_at`, renewed while it fetches, so adding fetchers
-- never doubles the requests to a source or breaks its rate limit.
CREATE TABLE source_leases (
    source_id  TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
