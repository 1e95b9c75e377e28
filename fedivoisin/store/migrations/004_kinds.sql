-- Lifecycle of the vocabulary kinds, read from the stored document so listings filter in SQL
-- (docs/vocabulary.md "Lifecycle"): proposals open/reserved/closed, reports
-- open/acknowledged/closed, alerts active/cancelled (CAP msgType Cancel), events
-- scheduled/cancelled, polls open/closed, and FEP-9967 poll votes marked 'vote'.
ALTER TABLE objects ADD COLUMN lifecycle TEXT GENERATED ALWAYS AS (
  CASE kind
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
  END
) VIRTUAL;

CREATE INDEX objects_listing ON objects(community_uri, kind, lifecycle, start_time);
CREATE INDEX participants_join ON participants(join_activity);
CREATE INDEX participants_event ON participants(event_uri, state);
