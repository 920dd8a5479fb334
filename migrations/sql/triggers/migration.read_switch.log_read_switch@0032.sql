-- migration.read_switch.log_read_switch (trigger): the statements revision 0032_read_switch ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is triggers/migration.read_switch.log_read_switch.sql.

-- statement
CREATE TRIGGER log_read_switch
AFTER UPDATE ON migration.read_switch
FOR EACH ROW WHEN (old.percent IS DISTINCT FROM new.percent) EXECUTE FUNCTION migration.log_read_switch();
