-- When each host (and credential) may next be asked, when several fetchers share the store
-- (`hark run --role fetch`): every request reserves the next slot, `spacing` after the one
-- before it whichever fetcher took that one, so a source's quota holds across fetchers and
-- across a fetcher's restart. Milliseconds since the Unix epoch.
CREATE TABLE request_pacing (
    pace_key TEXT PRIMARY KEY,
    next_ms  BIGINT NOT NULL
);
