-- migration.repair_sunday_starts: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0010, 0019).
-- No revision runs this file: each runs its own frozen migration.repair_sunday_starts@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.repair_sunday_starts()
RETURNS BOOLEAN
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT value = 'true' FROM migration.settings WHERE name = 'repair_sunday_starts'), FALSE)
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.repair_sunday_starts() FROM PUBLIC;
