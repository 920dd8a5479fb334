-- migration.sync_trigger_enabled: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0012, 0019).
-- No revision runs this file: each runs its own frozen migration.sync_trigger_enabled@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.sync_trigger_enabled()
RETURNS BOOLEAN
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT value = 'true' FROM migration.settings WHERE name = 'sync_trigger'), TRUE)
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.sync_trigger_enabled() FROM PUBLIC;
