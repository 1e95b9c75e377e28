-- Issue 16's disk, issue 14's processing: the hashtag index names its object by
-- objects.id, not by URI. The URI was stored three times per tag (the row, the
-- UNIQUE(tag, object_uri) index and the object_uri index), ~200 bytes per received post
-- with a hashtag, and its object_uri index took a random-keyed page write per insert.
CREATE TABLE object_hashtags_v2 (
  id INTEGER PRIMARY KEY,
  object_id INTEGER NOT NULL,        -- objects.id
  tag TEXT NOT NULL,
  UNIQUE (tag, object_id)
);
INSERT INTO object_hashtags_v2 (object_id, tag)
  SELECT o.id, h.tag FROM object_hashtags h JOIN objects o ON o.uri = h.object_uri
  ORDER BY h.id;
DROP TABLE object_hashtags;
ALTER TABLE object_hashtags_v2 RENAME TO object_hashtags;
CREATE INDEX object_hashtags_object ON object_hashtags(object_id);
