-- PostgreSQL only (133_inbox_counter_per_statement.pg.sql): the inbox counters are
-- bumped once per statement there. SQLite's row triggers run inside the engine at no
-- call cost, so its inbox_items_ins (migration 129) stays as it is.
SELECT 1;
