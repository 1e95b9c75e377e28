-- Remote accounts silenced by a moderator (Mastodon admin API action "silence"): like a
-- silenced domain, their posts reach their followers only and are never relayed by the mesh.
CREATE TABLE actor_silences (
  uri TEXT PRIMARY KEY,
  reason TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL
);
