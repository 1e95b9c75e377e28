-- The Mastodon client API (docs/mastodon-api.md): stable ids for accounts and statuses,
-- favourites and reblogs kept current by triggers on `activities` (so local C2S, the
-- client API and federation all feed them the same way), markers, idempotency keys.

-- Account ids: one stable number per actor URI, local or remote, allocated on first sight.
CREATE TABLE account_ids (
  id INTEGER PRIMARY KEY,
  uri TEXT NOT NULL UNIQUE
);

-- Status ids: one row per stored object (its original) and per Announce (a reblog),
-- allocated in arrival order so ids sort like time and paging is a keyset on `id`.
CREATE TABLE statuses (
  id INTEGER PRIMARY KEY,
  object_uri TEXT NOT NULL,
  announce_uri TEXT UNIQUE,            -- NULL for the original
  account_uri TEXT NOT NULL,           -- author, or who reblogged
  created_at REAL NOT NULL
);
CREATE UNIQUE INDEX statuses_original ON statuses(object_uri) WHERE announce_uri IS NULL;
CREATE INDEX statuses_account ON statuses(account_uri, id);
CREATE INDEX statuses_object ON statuses(object_uri);

INSERT INTO statuses (object_uri, announce_uri, account_uri, created_at)
  SELECT uri, NULL, attributed_to, published FROM objects ORDER BY id;

CREATE TRIGGER statuses_on_object AFTER INSERT ON objects BEGIN
  INSERT OR IGNORE INTO statuses (object_uri, announce_uri, account_uri, created_at)
  VALUES (NEW.uri, NULL, NEW.attributed_to, NEW.published);
END;

-- A reblog: the Announce's object; a group (FEP-1b12) announcing a Create we stored gets
-- the Create's object. (Documents may be compressed: triggers read columns, never JSON.
-- The inbox's announce hook records the unwrapped object first when the Create is new.)
-- (An Announce without an object makes no status: SQLite's OR IGNORE skipped the NOT NULL
-- violation, PostgreSQL needs the guard.)
CREATE TRIGGER statuses_on_announce AFTER INSERT ON activities
  WHEN NEW.type = 'Announce' AND NEW.object_uri IS NOT NULL BEGIN
  INSERT OR IGNORE INTO statuses (object_uri, announce_uri, account_uri, created_at)
  VALUES (
    coalesce(
      (SELECT a.object_uri FROM activities a WHERE a.uri = NEW.object_uri
        AND a.type IN ('Create', 'Update') AND a.object_uri IS NOT NULL),
      NEW.object_uri),
    NEW.uri, NEW.actor_uri, NEW.published);
END;

CREATE TABLE favourites (
  object_uri TEXT NOT NULL,
  actor_uri TEXT NOT NULL,
  activity_uri TEXT NOT NULL,
  created_at REAL NOT NULL,
  PRIMARY KEY (object_uri, actor_uri)
);
CREATE INDEX favourites_activity ON favourites(activity_uri);

INSERT OR IGNORE INTO favourites (object_uri, actor_uri, activity_uri, created_at)
  SELECT object_uri, actor_uri, uri, published FROM activities
  WHERE type = 'Like' AND object_uri IS NOT NULL ORDER BY id;

CREATE TRIGGER favourites_on_like AFTER INSERT ON activities
  WHEN NEW.type = 'Like' AND NEW.object_uri IS NOT NULL BEGIN
  INSERT OR IGNORE INTO favourites (object_uri, actor_uri, activity_uri, created_at)
  VALUES (NEW.object_uri, NEW.actor_uri, NEW.uri, NEW.published);
END;

-- Undo(Like) and Undo(Announce), local or received: only the Undo's own actor's record goes.
CREATE TRIGGER undo_like_or_announce AFTER INSERT ON activities
  WHEN NEW.type = 'Undo' AND NEW.object_uri IS NOT NULL BEGIN
  DELETE FROM favourites WHERE actor_uri = NEW.actor_uri AND activity_uri = NEW.object_uri;
  DELETE FROM statuses WHERE account_uri = NEW.actor_uri AND announce_uri = NEW.object_uri;
END;

-- Where a client stopped reading (home, notifications).
CREATE TABLE markers (
  owner TEXT NOT NULL,                 -- local actor slug
  timeline TEXT NOT NULL,
  last_read_id TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  updated_at REAL NOT NULL,
  PRIMARY KEY (owner, timeline)
);

-- Idempotency-Key of POST /api/v1/statuses: the same key from the same actor returns the
-- status created the first time (Mastodon keeps them an hour).
CREATE TABLE idempotency_keys (
  owner TEXT NOT NULL,
  key TEXT NOT NULL,
  object_uri TEXT NOT NULL,
  created_at REAL NOT NULL,
  PRIMARY KEY (owner, key)
);

-- Per-resident blocks and mutes of other accounts (Mastodon's blocks/mutes).
CREATE TABLE account_blocks (
  owner TEXT NOT NULL,                 -- local actor URI
  target TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('block', 'mute')),
  created_at REAL NOT NULL,
  PRIMARY KEY (owner, target, kind)
);
