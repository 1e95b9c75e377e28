-- Storage (issue 16, docs/performance.md "Storage"): one copy of each document.
--
-- activities.object_ref = 1: the stored document carries its object as a reference (the
-- object's id) and readers embed the current `objects` row (store/activities.py); the
-- object's JSON is then kept once. Applied to received (remote) Create/Update whose
-- object we store; local activities keep their document exactly as published, because
-- deliveries send those bytes. New documents are written as orjson bytes (BLOB), zlib-
-- compressed above a few KB when that pays (docs/performance.md); readers accept the
-- older TEXT rows.
ALTER TABLE activities ADD COLUMN object_ref INTEGER NOT NULL DEFAULT 0;

UPDATE activities SET document = json_set(document, '$.object', object_uri), object_ref = 1
  WHERE local = 0 AND type IN ('Create', 'Update') AND object_uri IS NOT NULL
    AND json_type(document, '$.object') = 'object'
    AND json_extract(document, '$.object.id') = object_uri
    AND EXISTS (SELECT 1 FROM objects o WHERE o.uri = activities.object_uri);

-- Processed inbox queue rows already drop their body (inbox_queue.mark_done); older
-- rows that kept one are emptied here.
UPDATE received SET body = x'' WHERE state = 'done' AND length(body) > 0;
