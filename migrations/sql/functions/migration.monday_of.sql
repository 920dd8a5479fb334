-- migration.monday_of: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0023).
-- No revision runs this file: each runs its own frozen migration.monday_of@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.monday_of(day DATE)
RETURNS DATE
LANGUAGE sql IMMUTABLE
AS $$ SELECT day - (extract(ISODOW FROM day)::INTEGER - 1) $$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.monday_of(DATE) FROM PUBLIC;
