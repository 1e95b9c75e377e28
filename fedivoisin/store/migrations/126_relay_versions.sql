-- Relays shown by pages (issue 12): a community's page lists the communities it relays and
-- those relaying it, and is served from the render cache keyed by the community's content
-- version (web/render_cache.py). Adding, changing or removing a relay bumps both sides.
CREATE TRIGGER relays_version_ins AFTER INSERT ON relays BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (NEW.community, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (NEW.source, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
END;

CREATE TRIGGER relays_version_upd AFTER UPDATE ON relays BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (NEW.community, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (NEW.source, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
END;

CREATE TRIGGER relays_version_del AFTER DELETE ON relays BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (OLD.community, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (OLD.source, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
END;
