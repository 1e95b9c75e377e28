-- PostgreSQL twin of 051_compact_documents.sql: a PostgreSQL database starts empty or is
-- filled by `fedivoisin db copy` from an already migrated SQLite file, so only the column
-- is added (the SQLite data rewrite has nothing to do here).
ALTER TABLE activities ADD COLUMN object_ref BIGINT NOT NULL DEFAULT 0;
