-- Indexes for what the Mastodon API polls often: streaming's deletes and edits since the
-- last look (objects.deleted / updated), and ended polls on a notifications read.
CREATE INDEX objects_deleted ON objects(deleted);
CREATE INDEX objects_updated ON objects(updated);
CREATE INDEX objects_kind_end ON objects(kind, end_time);
