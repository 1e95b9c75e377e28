-- Several worker processes on one PostgreSQL (issue 14, docs/deploy.md): an inbox row is
-- claimed by one worker until its lease ends (a killed worker's rows are taken over
-- after that), and each live process says so in `workers` (the per-domain delivery limit
-- is shared among them).
ALTER TABLE received ADD COLUMN claimed_until REAL;
ALTER TABLE received ADD COLUMN claimed_by TEXT;

CREATE TABLE workers (
  id TEXT PRIMARY KEY,                 -- host:pid:random, per process
  kind TEXT NOT NULL,                  -- 'serve' or 'worker'
  started_at REAL NOT NULL,
  seen_at REAL NOT NULL
);
