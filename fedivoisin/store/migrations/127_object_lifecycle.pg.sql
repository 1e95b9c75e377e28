-- PostgreSQL twin of 127_object_lifecycle.sql: `lifecycle` becomes a plain column written
-- by the store. PostgreSQL keeps `objects.document` as JSON text (TOAST compresses large
-- values by itself); only SQLite stores received objects' documents compressed.
DROP INDEX objects_listing;
ALTER TABLE objects DROP COLUMN lifecycle;
ALTER TABLE objects ADD COLUMN lifecycle TEXT;
UPDATE objects SET lifecycle = CASE kind
    WHEN 'proposal' THEN lower(coalesce(CAST(document AS jsonb) ->> 'proposalStatus', 'open'))
    WHEN 'report' THEN lower(coalesce(CAST(document AS jsonb) ->> 'reportStatus', 'open'))
    WHEN 'alert' THEN CASE WHEN CAST(document AS jsonb) ->> 'msgType' = 'Cancel'
                           THEN 'cancelled' ELSE 'active' END
    WHEN 'event' THEN CASE WHEN CAST(document AS jsonb) ->> 'eventStatus' = 'EventCancelled'
                             OR CAST(document AS jsonb) ->> 'status' = 'CANCELLED'
                           THEN 'cancelled' ELSE 'scheduled' END
    WHEN 'poll' THEN CASE WHEN CAST(document AS jsonb) ->> 'closed' IS NULL
                          THEN 'open' ELSE 'closed' END
    WHEN 'note' THEN CASE WHEN in_reply_to IS NOT NULL
                            AND jsonb_typeof(CAST(document AS jsonb) -> 'name') = 'string'
                            AND CAST(document AS jsonb) ->> 'content' IS NULL
                            AND CAST(document AS jsonb) ->> 'contentMap' IS NULL
                          THEN 'vote' END
  END;
CREATE INDEX objects_listing ON objects(community_uri, kind, lifecycle, start_time);
