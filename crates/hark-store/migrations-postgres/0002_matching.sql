-- Customer matching: decisions people made that the machine must respect, and the lookups
-- matching and the match lists need.

-- A person said "this author is not that customer". Kept per author (source kind and the
-- author's key: handle, else email, else name), not per mention, so that no later post by the
-- same author proposes the same customer again.
CREATE TABLE match_rejections (
    source_kind  TEXT NOT NULL,
    author_key   TEXT NOT NULL,
    customer_id  TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    mention_id   TEXT,                           -- the mention the rejection was made on
    actor        TEXT NOT NULL,
    rejected_at  TEXT NOT NULL,
    PRIMARY KEY (source_kind, author_key, customer_id)
);

CREATE INDEX matches_state ON matches (state, updated_at);
CREATE INDEX mentions_author_email ON mentions (source_kind, author_email);
