-- Content versions and counters (issue 16, docs/performance.md "Reads").
--
-- content_versions: one monotonic number per scope (an actor or community URI, or
-- 'slug:<slug>' for a local actor's own row), bumped by the triggers below whenever
-- something a public representation of that scope shows is created, updated or deleted.
-- Cached ICS/Atom/AS2 answers are keyed by it, so every process (and, later, every
-- PostgreSQL client) sees the same invalidation. Triggers rather than Python calls so that
-- every writer — the server, the CLI, raw SQL in handlers — bumps it; the statements are
-- plain INSERT … ON CONFLICT upserts, which PostgreSQL trigger functions run unchanged.
--
-- counters: totals shown as totalItems, maintained on write, so no page counts rows.
CREATE TABLE content_versions (
  scope TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  changed_at REAL NOT NULL
);

CREATE TABLE counters (
  scope TEXT NOT NULL,
  name TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (scope, name)
);

-- objects: the community they belong to, and their local author.
CREATE TRIGGER objects_version_ins AFTER INSERT ON objects BEGIN
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

CREATE TRIGGER objects_version_upd AFTER UPDATE ON objects BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    SELECT NEW.community_uri, 1, (julianday('now') - 2440587.5) * 86400.0
    WHERE NEW.community_uri IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
  INSERT INTO content_versions (scope, version, changed_at)
    SELECT OLD.community_uri, 1, (julianday('now') - 2440587.5) * 86400.0
    WHERE OLD.community_uri IS NOT NULL AND OLD.community_uri IS NOT NEW.community_uri
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
  INSERT INTO content_versions (scope, version, changed_at)
    SELECT NEW.attributed_to, 1, (julianday('now') - 2440587.5) * 86400.0
    WHERE NEW.local = 1
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
END;

CREATE TRIGGER objects_version_del AFTER DELETE ON objects BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    SELECT OLD.community_uri, 1, (julianday('now') - 2440587.5) * 86400.0
    WHERE OLD.community_uri IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
  INSERT INTO content_versions (scope, version, changed_at)
    SELECT OLD.attributed_to, 1, (julianday('now') - 2440587.5) * 86400.0
    WHERE OLD.local = 1
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
END;

-- local activities: the actor's outbox, and its counters.
CREATE TRIGGER activities_local_ins AFTER INSERT ON activities WHEN NEW.local = 1 BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (NEW.actor_uri, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
  INSERT INTO counters (scope, name, n) VALUES (NEW.actor_uri, 'outbox', 1)
    ON CONFLICT (scope, name) DO UPDATE SET n = counters.n + 1;
  INSERT INTO counters (scope, name, n)
    SELECT NEW.actor_uri, 'outbox_public', 1 WHERE NEW.public = 1
    ON CONFLICT (scope, name) DO UPDATE SET n = counters.n + 1;
END;

CREATE TRIGGER activities_local_del AFTER DELETE ON activities WHEN OLD.local = 1 BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (OLD.actor_uri, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
  UPDATE counters SET n = n - 1 WHERE scope = OLD.actor_uri AND name = 'outbox';
  UPDATE counters SET n = n - 1
    WHERE scope = OLD.actor_uri AND name = 'outbox_public' AND OLD.public = 1;
END;

-- inbox listing counters.
CREATE TRIGGER inbox_items_ins AFTER INSERT ON inbox_items BEGIN
  INSERT INTO counters (scope, name, n) VALUES (NEW.owner, 'inbox', 1)
    ON CONFLICT (scope, name) DO UPDATE SET n = counters.n + 1;
END;

CREATE TRIGGER inbox_items_del AFTER DELETE ON inbox_items BEGIN
  UPDATE counters SET n = n - 1 WHERE scope = OLD.owner AND name = 'inbox';
END;

-- follows: counts shown by followers/following and the actor page.
CREATE TRIGGER follows_ins AFTER INSERT ON follows BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (NEW.followee, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (NEW.follower, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
  INSERT INTO counters (scope, name, n)
    SELECT NEW.followee, 'followers', 1 WHERE NEW.state = 'accepted'
    ON CONFLICT (scope, name) DO UPDATE SET n = counters.n + 1;
  INSERT INTO counters (scope, name, n)
    SELECT NEW.follower, 'following', 1 WHERE NEW.state = 'accepted'
    ON CONFLICT (scope, name) DO UPDATE SET n = counters.n + 1;
END;

CREATE TRIGGER follows_upd AFTER UPDATE ON follows BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (NEW.followee, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (NEW.follower, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
  UPDATE counters SET n = n - 1 WHERE scope = OLD.followee AND name = 'followers'
    AND OLD.state = 'accepted';
  UPDATE counters SET n = n - 1 WHERE scope = OLD.follower AND name = 'following'
    AND OLD.state = 'accepted';
  INSERT INTO counters (scope, name, n)
    SELECT NEW.followee, 'followers', 1 WHERE NEW.state = 'accepted'
    ON CONFLICT (scope, name) DO UPDATE SET n = counters.n + 1;
  INSERT INTO counters (scope, name, n)
    SELECT NEW.follower, 'following', 1 WHERE NEW.state = 'accepted'
    ON CONFLICT (scope, name) DO UPDATE SET n = counters.n + 1;
END;

CREATE TRIGGER follows_del AFTER DELETE ON follows BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (OLD.followee, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (OLD.follower, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
  UPDATE counters SET n = n - 1 WHERE scope = OLD.followee AND name = 'followers'
    AND OLD.state = 'accepted';
  UPDATE counters SET n = n - 1 WHERE scope = OLD.follower AND name = 'following'
    AND OLD.state = 'accepted';
END;

-- members: a community's roster (shown by pages).
CREATE TRIGGER members_ins AFTER INSERT ON members BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (NEW.community, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
END;

CREATE TRIGGER members_upd AFTER UPDATE ON members BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (NEW.community, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
END;

CREATE TRIGGER members_del AFTER DELETE ON members BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES (OLD.community, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
END;

-- a local actor's own row (name, summary, keys, deletion): scope 'slug:<slug>'.
CREATE TRIGGER actors_version_upd AFTER UPDATE ON actors BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES ('slug:' || NEW.slug, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
END;

CREATE TRIGGER actors_version_del AFTER DELETE ON actors BEGIN
  INSERT INTO content_versions (scope, version, changed_at)
    VALUES ('slug:' || OLD.slug, 1, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (scope) DO UPDATE SET version = content_versions.version + 1,
      changed_at = excluded.changed_at;
END;

-- Existing data: start the counters from what is there.
INSERT INTO counters (scope, name, n)
  SELECT actor_uri, 'outbox', count(*) FROM activities WHERE local = 1 GROUP BY actor_uri;
INSERT INTO counters (scope, name, n)
  SELECT actor_uri, 'outbox_public', count(*) FROM activities WHERE local = 1 AND public = 1
  GROUP BY actor_uri;
INSERT INTO counters (scope, name, n)
  SELECT owner, 'inbox', count(*) FROM inbox_items GROUP BY owner;
INSERT INTO counters (scope, name, n)
  SELECT followee, 'followers', count(*) FROM follows WHERE state = 'accepted' GROUP BY followee;
INSERT INTO counters (scope, name, n)
  SELECT follower, 'following', count(*) FROM follows WHERE state = 'accepted' GROUP BY follower;
