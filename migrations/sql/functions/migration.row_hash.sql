-- migration.row_hash: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0011, 0019, 0023).
-- No revision runs this file: each runs its own frozen migration.row_hash@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.row_hash(h public.habit_tracker)  -- noqa: CP05
RETURNS UUID
LANGUAGE sql STABLE
AS $$
    SELECT md5(h::TEXT)::UUID
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.row_hash(public.habit_tracker)  FROM PUBLIC;
