-- Web sessions and sign-in throttling.

-- One row per signed-in browser. The cookie holds 256 random bits; only their SHA-256 (hex)
-- is stored, so a copy of the database signs nobody in. `csrf` is the session's own random
-- token that every state-changing form must echo. `expires_at` is the earlier of the idle
-- timeout (slid forward as the session is used) and the absolute lifetime from `created_at`.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    user_agent   TEXT
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Failed sign-ins, one row per failure and key ("user:<name lowercased>" or "addr:<ip>"),
-- shared by every server process over the same store. Rows older than the throttling window
-- are pruned as new ones arrive.
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  TEXT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);
CREATE INDEX login_failures_at ON login_failures (at);
