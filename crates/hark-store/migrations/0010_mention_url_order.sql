-- Looking up the first mention of a URL from another source kind (`WHERE url = ? AND
-- source_kind <> ? ORDER BY inserted_seq LIMIT 1`, once per saved post) reads this index
-- alone. On (url) only, PostgreSQL may instead walk the insertion order until a row matches,
-- which for a new URL is the whole table: a worker then spent most of each page there.
CREATE INDEX mentions_url_seq ON mentions (url, inserted_seq);
DROP INDEX mentions_url;
