-- Storage (issue 16): a received object's document is stored compressed like activities'
-- (store/activities.py `object_document_value`), so `lifecycle` can no longer be generated
-- from the JSON: it becomes a plain column written by the store (store/lifecycle.py, the
-- same rules), filled here from the existing JSON rows.
DROP INDEX objects_listing;
ALTER TABLE objects DROP COLUMN lifecycle;
ALTER TABLE objects ADD COLUMN lifecycle TEXT;
UPDATE objects SET lifecycle = CASE kind
    WHEN 'proposal' THEN lower(coalesce(json_extract(document, '$.proposalStatus'), 'open'))
    WHEN 'report' THEN lower(coalesce(json_extract(document, '$.reportStatus'), 'open'))
    WHEN 'alert' THEN CASE WHEN json_extract(document, '$.msgType') = 'Cancel'
                           THEN 'cancelled' ELSE 'active' END
    WHEN 'event' THEN CASE WHEN json_extract(document, '$.eventStatus') = 'EventCancelled'
                             OR json_extract(document, '$.status') = 'CANCELLED'
                           THEN 'cancelled' ELSE 'scheduled' END
    WHEN 'poll' THEN CASE WHEN json_extract(document, '$.closed') IS NULL
                          THEN 'open' ELSE 'closed' END
    WHEN 'note' THEN CASE WHEN in_reply_to IS NOT NULL
                            AND json_type(document, '$.name') = 'text'
                            AND json_extract(document, '$.content') IS NULL
                            AND json_extract(document, '$.contentMap') IS NULL
                          THEN 'vote' END
  END;
CREATE INDEX objects_listing ON objects(community_uri, kind, lifecycle, start_time);
