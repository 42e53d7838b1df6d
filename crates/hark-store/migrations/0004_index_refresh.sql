-- Mentions whose customer link changed (a match written, decided, undone or removed) since
-- they were indexed (no OR IGNORE: inside a trigger the outer statement's conflict policy,
-- an upsert's, would override it): the index re-reads them on its next catch-up, so `customer:yes|no` and the
-- customer fields in search never go stale, whichever code path changed the match.
CREATE TABLE index_refresh (
    mention_id TEXT PRIMARY KEY
);

CREATE TRIGGER matches_refresh_insert AFTER INSERT ON matches BEGIN
    INSERT INTO index_refresh (mention_id) SELECT NEW.mention_id
        WHERE NOT EXISTS (SELECT 1 FROM index_refresh WHERE mention_id = NEW.mention_id);
END;

CREATE TRIGGER matches_refresh_update AFTER UPDATE ON matches BEGIN
    INSERT INTO index_refresh (mention_id) SELECT NEW.mention_id
        WHERE NOT EXISTS (SELECT 1 FROM index_refresh WHERE mention_id = NEW.mention_id);
    INSERT INTO index_refresh (mention_id) SELECT OLD.mention_id
        WHERE NOT EXISTS (SELECT 1 FROM index_refresh WHERE mention_id = OLD.mention_id);
END;

CREATE TRIGGER matches_refresh_delete AFTER DELETE ON matches BEGIN
    INSERT INTO index_refresh (mention_id) SELECT OLD.mention_id
        WHERE NOT EXISTS (SELECT 1 FROM index_refresh WHERE mention_id = OLD.mention_id);
END;
