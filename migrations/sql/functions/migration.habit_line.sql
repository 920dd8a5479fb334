-- migration.habit_line: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0011, 0019).
-- No revision runs this file: each runs its own frozen migration.habit_line@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.habit_line(id UUID, name TEXT, display_order INTEGER)
RETURNS TEXT
LANGUAGE sql IMMUTABLE
AS $$ SELECT id::TEXT || ' ' || display_order::TEXT || ' ' || quote_literal(name) $$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.habit_line(UUID, TEXT, INTEGER) FROM PUBLIC;
