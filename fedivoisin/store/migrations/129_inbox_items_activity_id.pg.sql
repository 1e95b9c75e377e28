-- PostgreSQL twin of 129_inbox_items_activity_id.sql: the listing names its activity by
-- activities.id (the column changes in place; the table's triggers stay).
ALTER TABLE inbox_items ADD COLUMN activity_id BIGINT;
UPDATE inbox_items i SET activity_id = a.id FROM activities a WHERE a.uri = i.activity_uri;
DELETE FROM inbox_items WHERE activity_id IS NULL;
ALTER TABLE inbox_items ALTER COLUMN activity_id SET NOT NULL;
ALTER TABLE inbox_items DROP COLUMN activity_uri;
ALTER TABLE inbox_items ADD CONSTRAINT inbox_items_owner_activity UNIQUE (owner, activity_id);
