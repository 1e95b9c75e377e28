-- PostgreSQL twin of 004_kinds.sql: a generated column must be STORED there, and JSON is
-- read with jsonb operators (same values as the SQLite expression).
ALTER TABLE objects ADD COLUMN lifecycle TEXT GENERATED ALWAYS AS (
  CASE kind
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
                            AND CAST(document AS jsonb) -> 'content' IS NULL
                            AND CAST(document AS jsonb) -> 'contentMap' IS NULL
                          THEN 'vote' END
  END
) STORED;

CREATE INDEX objects_listing ON objects(community_uri, kind, lifecycle, start_time);
CREATE INDEX participants_join ON participants(join_activity);
CREATE INDEX participants_event ON participants(event_uri, state);
