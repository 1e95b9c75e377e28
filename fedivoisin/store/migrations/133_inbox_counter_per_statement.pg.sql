-- The counters behind each inbox's totalItems (migration 129's inbox_items_ins) were
-- bumped by a row trigger: one PL/pgSQL call per listed resident (~25 µs of call on top of
-- its upsert), so an activity reaching a building of 600 residents cost 600 calls. Now one
-- call per statement, from the rows the statement actually inserted (a listing that was
-- there already is not in the transition table), each owner's counter upserted once, in
-- owner order: two workers listing for the same residents take their counter rows in the
-- same order.
CREATE FUNCTION inbox_items_ins_stmt_fn() RETURNS trigger LANGUAGE plpgsql AS $fv$
BEGIN
  INSERT INTO counters (scope, name, n)
    SELECT owner, 'inbox', count(*) FROM inbox_items_new GROUP BY owner ORDER BY owner
    ON CONFLICT (scope, name) DO UPDATE SET n = counters.n + excluded.n;
  RETURN NULL;
END
$fv$;
DROP TRIGGER inbox_items_ins ON inbox_items;
DROP FUNCTION inbox_items_ins_fn();
CREATE TRIGGER inbox_items_ins AFTER INSERT ON inbox_items
  REFERENCING NEW TABLE AS inbox_items_new
  FOR EACH STATEMENT EXECUTE FUNCTION inbox_items_ins_stmt_fn();
