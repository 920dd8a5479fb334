-- migration.sync_legacy_ids: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0011, 0019, 0021, 0023).
-- No revision runs this file: each runs its own frozen migration.sync_legacy_ids@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.sync_legacy_ids(legacy_ids BIGINT[], source TEXT)
RETURNS TABLE (legacy_rows INTEGER, quarantined INTEGER, weeks_written INTEGER, habits_written INTEGER,
               records_written INTEGER, rows_deleted INTEGER)
LANGUAGE sql
AS $$
    SELECT s.* FROM migration.sync_legacy_rows(legacy_ids, source, '{}') AS s
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.sync_legacy_ids(BIGINT[], TEXT) FROM PUBLIC;
