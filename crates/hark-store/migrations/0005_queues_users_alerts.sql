-- Follow-up queues as people work them, users and API tokens, and alert delivery.

-- One item per mention, whatever routing later decides: re-routing moves the item to another
-- queue (its history says so) instead of opening a second one. `version` is bumped by every
-- change (optimistic concurrency for people editing the same item); `first_response_at` is
-- set when the item first leaves `new` (time to first response); `tags` is a JSON array
-- (["expansion"], ["competitor"]); `customer_id` is the customer routing used, if any.
-- SQLite cannot change a table's constraints in place: create, copy, drop, rename. Where the
-- old table held one mention in several queues, the most recently updated item is kept.
CREATE TABLE queue_items_new (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    mention_id        TEXT NOT NULL UNIQUE REFERENCES mentions (id) ON DELETE CASCADE,
    queue             TEXT NOT NULL CHECK (queue IN ('service', 'sales', 'community')),
    reason            TEXT NOT NULL,
    priority          INTEGER NOT NULL DEFAULT 0,
    state             TEXT NOT NULL CHECK (state IN ('new', 'assigned', 'contacted', 'resolved', 'dismissed')),
    assignee          TEXT,
    notes             TEXT,
    due_at            TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    first_response_at TEXT,
    tags              TEXT NOT NULL DEFAULT '[]',
    customer_id       TEXT
);

INSERT INTO queue_items_new (id, mention_id, queue, reason, priority, state, assignee, notes, due_at, created_at,
    updated_at)
SELECT q.id, q.mention_id, q.queue, q.reason, q.priority, q.state, q.assignee, q.notes, q.due_at, q.created_at,
    q.updated_at
FROM queue_items q
WHERE q.id = (SELECT k.id FROM queue_items k WHERE k.mention_id = q.mention_id
              ORDER BY k.updated_at DESC, k.id DESC LIMIT 1);

DROP TABLE queue_items;
ALTER TABLE queue_items_new RENAME TO queue_items;

-- Lists: by queue and state (the inboxes), in priority order, due first, undated last.
CREATE INDEX queue_items_listing ON queue_items (queue, state, priority DESC, due_at IS NULL, due_at, id);
CREATE INDEX queue_items_order ON queue_items (priority DESC, due_at IS NULL, due_at, id);
CREATE INDEX queue_items_state ON queue_items (state, priority DESC, due_at IS NULL, due_at, id);
CREATE INDEX queue_items_assignee ON queue_items (assignee, state);
CREATE INDEX queue_items_queue ON queue_items (queue, priority DESC, due_at IS NULL, due_at, id);

-- Everything that happened to an item, oldest first. Append-only.
CREATE TABLE queue_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id    INTEGER NOT NULL REFERENCES queue_items (id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('created', 'rerouted', 'moved', 'assigned', 'note')),
    from_value TEXT,
    to_value   TEXT,
    reason     TEXT
);
CREATE INDEX queue_history_item ON queue_history (item_id, id);

CREATE TABLE queue_notes (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id INTEGER NOT NULL REFERENCES queue_items (id) ON DELETE CASCADE,
    at      TEXT NOT NULL,
    author  TEXT NOT NULL,
    text    TEXT NOT NULL
);
CREATE INDEX queue_notes_item ON queue_notes (item_id, id);

-- People who use the server. Passwords and tokens are stored as hashes made by the caller.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'community', 'sales', 'service')),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Outbox events are written once per cause: the key makes enqueueing idempotent (NULL keys,
-- from before this migration, never conflict).
ALTER TABLE outbox ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX outbox_idempotency ON outbox (idempotency_key);

-- Delivery of each outbox event to each alert target (webhook, Slack...), created lazily when
-- a target first asks for due deliveries. The outbox's own attempts/next_attempt_at/
-- delivered_at columns (0001) are no longer used: state is per target here.
CREATE TABLE alert_deliveries (
    outbox_id       INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    target          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    delivered_at    TEXT,
    dead_at         TEXT,
    last_error      TEXT,
    PRIMARY KEY (outbox_id, target)
);
CREATE INDEX alert_deliveries_target ON alert_deliveries (target, outbox_id);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX alert_deliveries_dead ON alert_deliveries (dead_at) WHERE dead_at IS NOT NULL;
