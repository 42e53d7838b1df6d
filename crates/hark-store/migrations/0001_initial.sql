-- hark's system of record. Timestamps are UTC text in one fixed-width RFC 3339 form
-- (YYYY-MM-DDTHH:MM:SS.ffffffZ) so that they sort and compare as text.

CREATE TABLE mentions (
    id                 TEXT PRIMARY KEY,          -- stable hash of (source_kind, external_id)
    source_kind        TEXT NOT NULL,
    source_id          TEXT NOT NULL,
    external_id        TEXT NOT NULL,
    url                TEXT,
    author_handle      TEXT,
    author_name        TEXT,
    author_email       TEXT,
    author_profile_url TEXT,
    author_reach       INTEGER,
    title              TEXT,
    text               TEXT NOT NULL,
    lang               TEXT,
    published_at       TEXT,
    fetched_at         TEXT NOT NULL,
    thread_id          TEXT,
    parent_id          TEXT,
    score              INTEGER,
    replies            INTEGER,
    raw_deflate        BLOB,                      -- the source's payload, deflate-compressed JSON
    signals            TEXT,                      -- JSON, filled by the classify stage
    inserted_seq       INTEGER NOT NULL,          -- insertion order, for incremental consumers
    UNIQUE (source_kind, external_id)
);
CREATE INDEX mentions_published ON mentions (published_at);
CREATE INDEX mentions_url ON mentions (url);
CREATE INDEX mentions_source ON mentions (source_id);
CREATE INDEX mentions_author ON mentions (source_kind, author_handle);
CREATE INDEX mentions_seq ON mentions (inserted_seq);

CREATE TABLE cursors (
    source_id  TEXT PRIMARY KEY,
    cursor     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE runs (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id          TEXT NOT NULL,
    started_at         TEXT NOT NULL,
    finished_at        TEXT,
    pages              INTEGER NOT NULL DEFAULT 0,
    new_mentions       INTEGER NOT NULL DEFAULT 0,
    duplicates         INTEGER NOT NULL DEFAULT 0,
    outcome            TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'partial', 'failed')),
    error_kind         TEXT,
    error              TEXT,
    rate_limit_wait_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_source ON runs (source_id, started_at);

CREATE TABLE customers (
    id         TEXT PRIMARY KEY,                  -- stable hash of crm_ref
    crm_ref    TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    emails     TEXT NOT NULL,                     -- JSON array
    company    TEXT,
    domains    TEXT NOT NULL,                     -- JSON array
    handles    TEXT NOT NULL,                     -- JSON object: source kind -> handle
    products   TEXT NOT NULL,                     -- JSON array
    tier       TEXT,
    owner      TEXT,
    extra      TEXT NOT NULL,                     -- JSON object: unmapped import columns
    content_hash TEXT NOT NULL,                   -- Customer::content_fingerprint, to skip unchanged rows
    updated_at TEXT NOT NULL
);

CREATE TABLE matches (
    mention_id  TEXT NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    method      TEXT NOT NULL CHECK (method IN ('handle', 'email', 'domain', 'name_company', 'manual')),
    confidence  REAL NOT NULL,
    evidence    TEXT NOT NULL,                    -- JSON object
    state       TEXT NOT NULL CHECK (state IN ('auto', 'proposed', 'confirmed', 'rejected')),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (mention_id, customer_id)
);
CREATE INDEX matches_customer ON matches (customer_id);

CREATE TABLE queue_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    mention_id  TEXT NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
    queue       TEXT NOT NULL CHECK (queue IN ('service', 'sales', 'community')),
    reason      TEXT NOT NULL,
    priority    INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL CHECK (state IN ('new', 'assigned', 'contacted', 'resolved', 'dismissed')),
    assignee    TEXT,
    notes       TEXT,
    due_at      TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (mention_id, queue)
);
CREATE INDEX queue_items_queue_state ON queue_items (queue, state);

-- Prospects are derived from mentions, signals and matches; this table holds the latest
-- aggregate per author so that lists stay fast.
CREATE TABLE prospects (
    source_kind TEXT NOT NULL,
    handle      TEXT NOT NULL,
    intent      REAL NOT NULL,
    topics      TEXT NOT NULL,                    -- JSON array
    evidence    TEXT NOT NULL,                    -- JSON array of mention ids
    last_seen   TEXT NOT NULL,
    reach       INTEGER,
    PRIMARY KEY (source_kind, handle)
);

-- Human decisions and imported labelled data: training material for the heads.
CREATE TABLE labels (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    mention_id TEXT REFERENCES mentions (id) ON DELETE SET NULL,
    text       TEXT NOT NULL,
    task       TEXT NOT NULL CHECK (task IN ('sentiment', 'complaint', 'intent')),
    label      TEXT NOT NULL,
    origin     TEXT NOT NULL,                     -- 'triage', 'import', ...
    actor      TEXT,
    created_at TEXT NOT NULL
);

-- Who did what, when: imports, moves, match decisions. Append-only.
CREATE TABLE audit_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL                         -- JSON object
);

-- Notifications to deliver (webhooks, Slack), written in the same transaction as the change
-- that causes them and delivered at least once.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at      TEXT NOT NULL,
    topic           TEXT NOT NULL,
    payload         TEXT NOT NULL,                -- JSON
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    delivered_at    TEXT,
    last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox (delivered_at, next_attempt_at);
