-- migration.log_read_switch: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0032).
-- No revision runs this file: each runs its own frozen migration.log_read_switch@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.log_read_switch()
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
