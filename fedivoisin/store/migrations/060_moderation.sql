-- Moderation (docs/moderation.md): domain policies beyond plain blocks, blocklist
-- subscriptions, and the moderation queue of reports (ActivityPub Flag, received or sent).
-- A domain_blocks row of severity 'suspend' is a block (Runtime.blocked_hosts: inbox, signed
-- GET, fetcher, webhooks); 'silence' and 'noop' rows are read by the relays and media rules.
ALTER TABLE domain_blocks ADD COLUMN severity TEXT NOT NULL DEFAULT 'suspend'
  CHECK (severity IN ('suspend', 'silence', 'noop'));
ALTER TABLE domain_blocks ADD COLUMN reject_media INTEGER NOT NULL DEFAULT 0;
ALTER TABLE domain_blocks ADD COLUMN reject_reports INTEGER NOT NULL DEFAULT 0;
ALTER TABLE domain_blocks ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
ALTER TABLE domain_blocks ADD COLUMN public_comment TEXT NOT NULL DEFAULT '';
ALTER TABLE domain_blocks ADD COLUMN obfuscate INTEGER NOT NULL DEFAULT 0;
ALTER TABLE domain_blocks ADD COLUMN source TEXT;   -- subscription URL it came from, NULL = by hand

CREATE TABLE blocklist_subscriptions (
  url TEXT PRIMARY KEY,
  fetched_at REAL,
  last_error TEXT,
  created_at REAL NOT NULL
);

CREATE TABLE flags (
  id INTEGER PRIMARY KEY,
  uri TEXT NOT NULL UNIQUE,          -- the Flag's id (ours for outgoing / local reports)
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  reporter TEXT,                     -- actor URI of who sent it (remote instance actor or user)
  account TEXT,                      -- the reported actor, when there is one
  objects TEXT NOT NULL DEFAULT '[]',-- JSON list of reported object URIs
  community TEXT,                    -- local community whose queue it is in; NULL = instance
  comment TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
  assignee TEXT,                     -- local moderator slug
  action TEXT,                       -- what resolving did (none, remove, ban, suspend, block)
  note TEXT NOT NULL DEFAULT '',     -- the moderator's resolution note
  created_at REAL NOT NULL,
  resolved_at REAL
);
CREATE INDEX flags_queue ON flags(community, state, id);

-- Remote accounts suspended by a moderator (a report's "suspend" action).
CREATE TABLE actor_suspensions (
  uri TEXT PRIMARY KEY,
  reason TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL
);
