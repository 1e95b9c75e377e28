-- Local actors with their keys, API tokens, remote actor cache, domain blocks.
CREATE TABLE actors (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL CHECK (type IN ('Group', 'Person', 'Organization', 'Service', 'Application')),
  name TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '',
  community_kind TEXT CHECK (community_kind IN ('building', 'residence', 'quartier', 'town')),
  join_policy TEXT NOT NULL DEFAULT 'open' CHECK (join_policy IN ('open', 'approval', 'invite')),
  manually_approves INTEGER NOT NULL DEFAULT 0,
  discoverable INTEGER NOT NULL DEFAULT 1,
  rsa_private_pem TEXT NOT NULL,
  rsa_public_pem TEXT NOT NULL,
  ed_private_pem TEXT NOT NULL,
  ed_public_multibase TEXT NOT NULL,
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  deleted_at REAL
);

CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  actor_id INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL
);

CREATE TABLE remote_actors (
  uri TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  host TEXT NOT NULL,
  preferred_username TEXT,
  name TEXT,
  inbox TEXT,
  shared_inbox TEXT,
  followers TEXT,
  key_id TEXT,
  public_key_pem TEXT,
  key_expired INTEGER NOT NULL DEFAULT 0,
  document TEXT NOT NULL,
  fetched_at REAL NOT NULL,
  gone INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX remote_actors_key ON remote_actors(key_id);
CREATE INDEX remote_actors_host ON remote_actors(host);

CREATE TABLE domain_blocks (
  host TEXT PRIMARY KEY,
  reason TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL
);
