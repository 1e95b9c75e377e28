-- Webhook subscriptions (per community or actor) and the events they are sent.
-- The calls themselves are rows of the federation `deliveries` queue (same durability,
-- retry policy and SSRF-safe client): activity_uri = 'webhook:<id>:<event id>',
-- sender = 'webhook:<id>'.
CREATE TABLE webhooks (
  id INTEGER PRIMARY KEY,
  app_id INTEGER REFERENCES apps(id) ON DELETE CASCADE,  -- NULL: made with the CLI
  owner_id INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  host TEXT NOT NULL,
  events TEXT NOT NULL,             -- space separated event types, or '*'
  secret TEXT NOT NULL,             -- needed to sign, so kept (like the actors' keys)
  previous_secret TEXT,             -- still signed with until previous_until (rotation)
  previous_until REAL,
  enabled INTEGER NOT NULL DEFAULT 1,
  disabled_reason TEXT,
  failing_since REAL,
  last_success_at REAL,
  last_failure_at REAL,
  last_error TEXT,
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL
);
CREATE INDEX webhooks_owner ON webhooks(owner_id);

CREATE TABLE webhook_events (
  id TEXT PRIMARY KEY,              -- stable event id: the webhook-id header
  type TEXT NOT NULL,
  owner_id INTEGER NOT NULL,
  body BLOB NOT NULL,
  created_at REAL NOT NULL
);
CREATE INDEX webhook_events_created ON webhook_events(created_at);
