-- migration.record_id: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0010, 0016, 0019).
-- No revision runs this file: each runs its own frozen migration.record_id@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.record_id(legacy_id BIGINT, pos INTEGER, day INTEGER)
RETURNS UUID
LANGUAGE sql IMMUTABLE
AS $$ SELECT md5('habit_tracker/record/' || legacy_id::TEXT || '/' || pos::TEXT || '/' || day::TEXT)::UUID $$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.record_id(BIGINT, INTEGER, INTEGER) FROM PUBLIC;
