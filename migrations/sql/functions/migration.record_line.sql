-- migration.record_line: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0011, 0019).
-- No revision runs this file: each runs its own frozen migration.record_line@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.record_line(id UUID, habit_id UUID, record_date DATE, status TEXT)
RETURNS TEXT
LANGUAGE sql STABLE
AS $$ SELECT id::TEXT || ' ' || habit_id::TEXT || ' ' || record_date::TEXT || ' ' || quote_literal(status) $$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.record_line(UUID, UUID, DATE, TEXT) FROM PUBLIC;
