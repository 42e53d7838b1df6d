-- Mentions whose customer link changed (a match written, decided, undone or removed) since
-- they were indexed: the index re-reads them on its next catch-up, so `customer:yes|no` and the
-- customer fields in search never go stale, whichever code path changed the match.
-- (PostgreSQL side of migrations/0004_index_refresh.sql: one trigger function for the three
-- events.)
CREATE TABLE index_refresh (
    mention_id TEXT PRIMARY KEY
);

CREATE FUNCTION hark_matches_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO index_refresh (mention_id) VALUES (NEW.mention_id) ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO index_refresh (mention_id) VALUES (OLD.mention_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER matches_refresh AFTER INSERT OR UPDATE OR DELETE ON matches
    FOR EACH ROW EXECUTE FUNCTION hark_matches_refresh();
