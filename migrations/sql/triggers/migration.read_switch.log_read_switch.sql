-- migration.read_switch.log_read_switch: the trigger's current definition, as the database holds it at head (revisions 0032).
-- No revision runs this file: each runs its own frozen migration.read_switch.log_read_switch@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE TRIGGER log_read_switch
AFTER UPDATE ON migration.read_switch
FOR EACH ROW WHEN (old.percent IS DISTINCT FROM new.percent) EXECUTE FUNCTION migration.log_read_switch();
