-- PostgreSQL twin of 132_objects_version_trigger_guard.sql: the same guard on the
-- trigger; its function (objects_version_ins_fn, migration 050) is unchanged.
DROP TRIGGER objects_version_ins ON objects;
CREATE TRIGGER objects_version_ins AFTER INSERT ON objects FOR EACH ROW
  WHEN (NEW.community_uri IS NOT NULL OR NEW.local = 1)
  EXECUTE FUNCTION objects_version_ins_fn();
