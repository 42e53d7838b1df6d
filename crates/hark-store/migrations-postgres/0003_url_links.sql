-- The same URL reached through another source kind (a Reddit post also seen in Reddit's RSS
-- feed, a forum thread found by search and by listing): stored once, the other sighting linked
-- to the first, so it is neither duplicated nor fetched and scored again.
-- (mentions.url is indexed since 0001.)
CREATE TABLE mention_links (
    id          TEXT PRIMARY KEY,                  -- the mention id the other sighting would have had
    mention_id  TEXT NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
    source_kind TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    external_id TEXT NOT NULL,
    seen_at     TEXT NOT NULL
);
CREATE INDEX mention_links_mention ON mention_links (mention_id);
