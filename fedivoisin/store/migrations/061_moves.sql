-- Account moves (FEP-7628, docs/moderation.md "Moves"): a local actor's aliases
-- (alsoKnownAs, JSON list of actor URIs it may be moved from) and where it moved to.
ALTER TABLE actors ADD COLUMN also_known_as TEXT NOT NULL DEFAULT '[]';
ALTER TABLE actors ADD COLUMN moved_to TEXT;
