-- Community membership and roles, the territory mesh (relays), event RSVPs, poll votes.
CREATE TABLE members (
  id INTEGER PRIMARY KEY,
  community TEXT NOT NULL,           -- community actor URI (local Group)
  member TEXT NOT NULL,              -- actor URI, local or remote
  role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'moderator', 'member')),
  state TEXT NOT NULL DEFAULT 'accepted' CHECK (state IN ('pending', 'accepted', 'banned')),
  may_alert INTEGER NOT NULL DEFAULT 0,
  title TEXT,                        -- institutional role shown with posts (syndic, mairie…)
  inbox TEXT,
  shared_inbox TEXT,
  activity_uri TEXT,
  created_at REAL NOT NULL,
  UNIQUE (community, member)
);
CREATE INDEX members_community ON members(community, state);

CREATE TABLE relays (
  id INTEGER PRIMARY KEY,
  community TEXT NOT NULL,           -- local community that relays
  source TEXT NOT NULL,              -- community it follows and relays
  kinds TEXT NOT NULL,               -- JSON list of kinds relayed
  created_at REAL NOT NULL,
  UNIQUE (community, source)
);

CREATE TABLE relayed (
  community TEXT NOT NULL,
  object_uri TEXT NOT NULL,
  at REAL NOT NULL,
  PRIMARY KEY (community, object_uri)
);

CREATE TABLE participants (
  id INTEGER PRIMARY KEY,
  event_uri TEXT NOT NULL,
  actor_uri TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
  join_activity TEXT,
  created_at REAL NOT NULL,
  UNIQUE (event_uri, actor_uri)
);

CREATE TABLE votes (
  id INTEGER PRIMARY KEY,
  question_uri TEXT NOT NULL,
  voter TEXT NOT NULL,
  choice TEXT NOT NULL,
  vote_uri TEXT,
  created_at REAL NOT NULL,
  UNIQUE (question_uri, voter, choice)
);
