-- Statuses a resident pinned to their profile (Mastodon's pin/unpin; federated as the
-- actor's `featured` collection).
CREATE TABLE pins (
  id INTEGER PRIMARY KEY,
  actor_uri TEXT NOT NULL,
  object_uri TEXT NOT NULL,
  created_at REAL NOT NULL,
  UNIQUE (actor_uri, object_uri)
);
