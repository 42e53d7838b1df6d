-- When the match and route stages finished with a mention (they run after the page is saved,
-- in transactions of their own). A mention still NULL here was saved by a process that died
-- before matching and routing it: the pipeline settles such leftovers later. Mentions from
-- before this migration count as settled.
ALTER TABLE mentions ADD COLUMN settled_at TEXT;
UPDATE mentions SET settled_at = fetched_at;
CREATE INDEX mentions_unsettled ON mentions (inserted_seq) WHERE settled_at IS NULL;
