-- The inbox worker's "what is due" query must not depend on the planner's statistics:
-- with ANALYZE data on a table of a million processed rows, SQLite chose to scan
-- `received` by id (ORDER BY id LIMIT 50) rather than use (state, next_try), and the inbox
-- slowed with the table (bench/growth.py). A partial index holds only pending rows, and
-- inbox_queue.due() reads it in its own order (next_try, id): its size is the backlog,
-- not the history. Partial indexes exist in PostgreSQL with the same syntax.
DROP INDEX IF EXISTS received_pending;
CREATE INDEX received_due ON received(next_try, id) WHERE state = 'pending';
