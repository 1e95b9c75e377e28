-- Registered apps (OAuth 2.0 clients), what an admin granted them, their codes and tokens,
-- residents' passwords and browser sessions. Secrets, codes and tokens only as hashes.
CREATE TABLE apps (
  id INTEGER PRIMARY KEY,
  client_id TEXT NOT NULL UNIQUE,
  client_secret_hash TEXT NOT NULL,
  name TEXT NOT NULL,
  website TEXT NOT NULL DEFAULT '',
  redirect_uris TEXT NOT NULL DEFAULT '',  -- one per line
  scopes TEXT NOT NULL,                    -- space separated
  created_at REAL NOT NULL,
  revoked_at REAL
);

-- Communities (or other local actors) a client_credentials token may act for.
CREATE TABLE app_grants (
  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  actor_id INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
  created_at REAL NOT NULL,
  PRIMARY KEY (app_id, actor_id)
);

CREATE TABLE oauth_codes (
  code_hash TEXT PRIMARY KEY,
  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  actor_id INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
  redirect_uri TEXT NOT NULL DEFAULT '',
  scope TEXT NOT NULL,
  code_challenge TEXT,
  code_challenge_method TEXT,
  created_at REAL NOT NULL,
  expires_at REAL NOT NULL
);

CREATE TABLE oauth_tokens (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  actor_id INTEGER REFERENCES actors(id) ON DELETE CASCADE,  -- NULL: client_credentials
  scopes TEXT NOT NULL,
  created_at REAL NOT NULL,
  last_used_at REAL,
  revoked_at REAL
);
CREATE INDEX oauth_tokens_app ON oauth_tokens(app_id);

CREATE TABLE actor_passwords (
  actor_id INTEGER PRIMARY KEY REFERENCES actors(id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  updated_at REAL NOT NULL
);

CREATE TABLE web_sessions (
  session_hash TEXT PRIMARY KEY,
  actor_id INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
  created_at REAL NOT NULL,
  expires_at REAL NOT NULL
);
