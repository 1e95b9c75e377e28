-- Issue 16's disk, issue 14's processing: an inbox listing names its activity by
-- activities.id, not by URI. The URI was stored twice per row (the row and the
-- UNIQUE(owner, activity_uri) index), ~150 bytes per received activity, and each insert
-- dirtied a page of a random-keyed index. Readers join `activities a ON a.id = i.activity_id`.
CREATE TABLE inbox_items_v2 (
  id INTEGER PRIMARY KEY,
  owner TEXT NOT NULL,               -- local actor slug
  activity_id INTEGER NOT NULL,      -- activities.id
  received_at REAL NOT NULL,
  UNIQUE (owner, activity_id)
);
INSERT INTO inbox_items_v2 (id, owner, activity_id, received_at)
  SELECT i.id, i.owner, a.id, i.received_at
  FROM inbox_items i JOIN activities a ON a.uri = i.activity_uri;
DROP TABLE inbox_items;
ALTER TABLE inbox_items_v2 RENAME TO inbox_items;
CREATE INDEX inbox_items_owner ON inbox_items(owner, id);
-- The listing counters (migration 050) followed the old table; rows without an activity
-- (never shown: readers join) are no longer counted.
UPDATE counters SET n = (SELECT count(*) FROM inbox_items i WHERE i.owner = counters.scope)
  WHERE name = 'inbox';
CREATE TRIGGER inbox_items_ins AFTER INSERT ON inbox_items BEGIN
  INSERT INTO counters (scope, name, n) VALUES (NEW.owner, 'inbox', 1)
    ON CONFLICT (scope, name) DO UPDATE SET n = counters.n + 1;
END;
CREATE TRIGGER inbox_items_del AFTER DELETE ON inbox_items BEGIN
  UPDATE counters SET n = n - 1 WHERE scope = OLD.owner AND name = 'inbox';
END;
