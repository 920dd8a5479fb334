-- migration.log_read_switch (function): the statements revision 0032_read_switch ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.log_read_switch.sql.

-- statement
CREATE FUNCTION migration.log_read_switch()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO migration.read_switch_log (percent_before, percent_after, changed_at, changed_by, note)
    VALUES (OLD.percent, NEW.percent, NEW.changed_at, NEW.changed_by, NEW.note);
    RETURN NULL;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.log_read_switch() FROM PUBLIC;
