-- Six index entries less per received post (issue 14 item 3). A received post is
-- usually in no community, replies to nothing, was never edited or deleted and has no
-- end time: it wrote a NULL entry in each index on those columns, ~5 µs apiece on SQLite
-- (docs/performance.md "Inbox processing"), and no read looks NULLs up through them.
-- Every read on these columns compares them (=, <, >=, IN), which implies IS NOT NULL, so
-- both planners keep using the partial indexes (tests/reads/test_object_index_plans.py).
DROP INDEX objects_community;
CREATE INDEX objects_community ON objects(community_uri, kind, id)
  WHERE community_uri IS NOT NULL;
DROP INDEX objects_listing;
CREATE INDEX objects_listing ON objects(community_uri, kind, lifecycle, start_time)
  WHERE community_uri IS NOT NULL;
DROP INDEX objects_reply;
CREATE INDEX objects_reply ON objects(in_reply_to) WHERE in_reply_to IS NOT NULL;
DROP INDEX objects_kind_end;
CREATE INDEX objects_kind_end ON objects(kind, end_time) WHERE end_time IS NOT NULL;
DROP INDEX objects_deleted;
CREATE INDEX objects_deleted ON objects(deleted) WHERE deleted IS NOT NULL;
DROP INDEX objects_updated;
CREATE INDEX objects_updated ON objects(updated) WHERE updated IS NOT NULL;
