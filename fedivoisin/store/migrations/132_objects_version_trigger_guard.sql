-- The content version of a community or a local author is bumped when an object of theirs
-- is stored (migration 050, docs/performance.md "Reads"). Most stored objects are received
-- posts in no community, for which the trigger did nothing, yet ran: on PostgreSQL a
-- PL/pgSQL call of ~60 µs per received post (issue 14, "Inbox processing"). The trigger
-- now fires only when one of its two statements has something to bump; its body is
-- unchanged.
DROP TRIGGER objects_version_ins;
CREATE TRIGGER objects_version_ins AFTER INSERT ON objects
  WHEN NEW.community_uri IS NOT NULL OR NEW.local = 1 BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    SELECT NEW.community_uri, 1, (julianday('now') - 2440587.5) * 86400.0
    WHERE NEW.community_uri IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
  INSERT INTO content_versions (scope, version, changed_at)
    SELECT NEW.attributed_to, 1, (julianday('now') - 2440587.5) * 86400.0
    WHERE NEW.local = 1
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
END;
