-- Activities and objects (local and received), follows, the durable inbox queue,
-- per-actor inbox listing, the durable delivery queue and per-domain health.
CREATE TABLE activities (
  id INTEGER PRIMARY KEY,
  uri TEXT NOT NULL UNIQUE,
  actor_uri TEXT NOT NULL,
  type TEXT NOT NULL,
  object_uri TEXT,
  local INTEGER NOT NULL,
  public INTEGER NOT NULL,
  addressees TEXT NOT NULL,          -- JSON list: to, cc, bto, bcc, audience (access checks)
  document BLOB NOT NULL,            -- JSON as published (bto/bcc stripped before sending): orjson bytes, maybe zlib (051)
  published REAL NOT NULL
);
CREATE INDEX activities_actor ON activities(actor_uri, id);
CREATE INDEX activities_object ON activities(object_uri);

CREATE TABLE objects (
  id INTEGER PRIMARY KEY,
  uri TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'note',
  attributed_to TEXT NOT NULL,
  local INTEGER NOT NULL,
  public INTEGER NOT NULL,
  addressees TEXT NOT NULL,
  community_uri TEXT,
  in_reply_to TEXT,
  document TEXT NOT NULL,
  published REAL NOT NULL,
  updated REAL,
  deleted REAL,
  start_time REAL,
  end_time REAL
);
CREATE INDEX objects_community ON objects(community_uri, kind, id);
CREATE INDEX objects_reply ON objects(in_reply_to);
CREATE INDEX objects_author ON objects(attributed_to, id);

CREATE TABLE follows (
  id INTEGER PRIMARY KEY,
  follower TEXT NOT NULL,
  followee TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
  activity_uri TEXT,
  inbox TEXT,
  shared_inbox TEXT,
  created_at REAL NOT NULL,
  UNIQUE (follower, followee)
);
CREATE INDEX follows_followee ON follows(followee, state);

CREATE TABLE received (
  id INTEGER PRIMARY KEY,
  activity_uri TEXT NOT NULL UNIQUE,
  signer TEXT NOT NULL,
  actor_uri TEXT NOT NULL,
  recipient TEXT,                    -- slug of the personal inbox, NULL for the shared inbox
  body BLOB NOT NULL,
  received_at REAL NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try REAL NOT NULL DEFAULT 0,
  error TEXT
);
CREATE INDEX received_pending ON received(state, next_try);

CREATE TABLE inbox_items (
  id INTEGER PRIMARY KEY,
  owner TEXT NOT NULL,               -- local actor slug
  activity_uri TEXT NOT NULL,
  received_at REAL NOT NULL,
  UNIQUE (owner, activity_uri)
);
CREATE INDEX inbox_items_owner ON inbox_items(owner, id);

CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY,
  activity_uri TEXT NOT NULL,
  sender TEXT NOT NULL,              -- local actor slug whose key signs
  inbox TEXT NOT NULL,
  host TEXT NOT NULL,
  recipients TEXT NOT NULL DEFAULT '[]',
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try REAL NOT NULL,
  last_status INTEGER,
  last_error TEXT,
  created_at REAL NOT NULL,
  expires_at REAL,
  delivered_at REAL,
  UNIQUE (activity_uri, inbox)
);
CREATE INDEX deliveries_due ON deliveries(state, next_try);
CREATE INDEX deliveries_host ON deliveries(host, state);

CREATE TABLE domain_health (
  host TEXT PRIMARY KEY,
  failure_days TEXT NOT NULL DEFAULT '[]',
  unavailable INTEGER NOT NULL DEFAULT 0,
  last_success REAL
);
