-- Issue 12, item 4: RSVP by poll for people whose server cannot send Join (Mastodon,
-- Misskey, Pleroma). One direct Question per (event, person); its votes count as RSVPs.
CREATE TABLE rsvp_questions (
  id INTEGER PRIMARY KEY,
  event_uri TEXT NOT NULL,
  actor_uri TEXT NOT NULL,
  question_uri TEXT NOT NULL UNIQUE,
  created_at REAL NOT NULL,
  UNIQUE (event_uri, actor_uri)
);
