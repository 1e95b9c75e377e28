-- Town-hall indicators (docs/privacy.md "Indicators"): a closed month's suppressed figures
-- are computed once and frozen, so that re-publishing a month after late changes can
-- never be differenced against its first publication.
CREATE TABLE indicator_snapshots (
  community TEXT NOT NULL,            -- community actor URI, or 'territory' for the total
  month TEXT NOT NULL,                -- YYYY-MM
  figures TEXT NOT NULL,              -- JSON of the published (already suppressed) figures
  created_at REAL NOT NULL,
  PRIMARY KEY (community, month)
);
