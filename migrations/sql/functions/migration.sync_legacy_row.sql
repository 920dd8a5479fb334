-- migration.sync_legacy_row: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0012, 0016, 0017, 0019, 0022, 0023).
-- No revision runs this file: each runs its own frozen migration.sync_legacy_row@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.sync_legacy_row(target_id BIGINT, source TEXT, previous_child UUID DEFAULT NULL)
RETURNS VOID
LANGUAGE sql
AS $$
    SELECT FROM migration.sync_legacy_rows(ARRAY[target_id], source, array_remove(ARRAY[previous_child], NULL))
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.sync_legacy_row(BIGINT, TEXT, UUID) FROM PUBLIC;
