-- PostgreSQL twin of 130_object_hashtags_object_id.sql: the hashtag index names its
-- object by objects.id (the column changes in place).
ALTER TABLE object_hashtags ADD COLUMN object_id BIGINT;
UPDATE object_hashtags h SET object_id = o.id FROM objects o WHERE o.uri = h.object_uri;
DELETE FROM object_hashtags WHERE object_id IS NULL;
ALTER TABLE object_hashtags ALTER COLUMN object_id SET NOT NULL;
DROP INDEX object_hashtags_object;
ALTER TABLE object_hashtags DROP COLUMN object_uri;
ALTER TABLE object_hashtags ADD CONSTRAINT object_hashtags_tag_object UNIQUE (tag, object_id);
CREATE INDEX object_hashtags_object ON object_hashtags(object_id);
