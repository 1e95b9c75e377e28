-- Import without code (docs/imports.md): a community subscribes to a calendar or a feed.
-- `imports` holds each subscription and its status (shown by `fedivoisin import list`);
-- `import_items` maps each source item (ICS UID, feed guid) to the object we published and
-- the hash of what we published, so a re-fetch or a restart never publishes twice.
CREATE TABLE imports (
  id INTEGER PRIMARY KEY,
  community TEXT NOT NULL,          -- community actor URI
  source_actor TEXT NOT NULL,       -- slug of the Organization that stands for the source
  url TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('events', 'news')),
  every REAL NOT NULL,              -- seconds between fetches
  created_at REAL NOT NULL,
  next_fetch_at REAL NOT NULL,
  lease_until REAL,                 -- a fetch in progress (server or CLI) holds the import
  etag TEXT,
  last_modified TEXT,
  last_fetch_at REAL,
  last_status TEXT,                 -- 'ok', 'not modified', 'error'
  last_error TEXT,
  last_result TEXT,                 -- '3 new, 1 updated, 1 deleted, 0 skipped'
  last_success_at REAL,
  items INTEGER NOT NULL DEFAULT 0, -- items currently mapped and not deleted
  UNIQUE (community, url)
);
CREATE INDEX imports_due ON imports(next_fetch_at);

CREATE TABLE import_items (
  import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
  uid TEXT NOT NULL,
  object_uri TEXT NOT NULL,
  hash TEXT,                        -- NULL until the Create is published
  item_time REAL,                   -- the item's date (event end, entry date): removal rules
  deleted INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (import_id, uid)
);
