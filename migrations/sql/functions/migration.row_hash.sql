-- migration.row_hash: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0011, 0019, 0023; 0039 renamed its argument's type, the legacy table's row type, to habit_tracker_old).
-- No revision runs this file: each runs its own frozen migration.row_hash@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.row_hash(h public.habit_tracker_old)  -- noqa: CP05
RETURNS UUID
LANGUAGE sql STABLE
AS $$
    SELECT md5(h::TEXT)::UUID
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.row_hash(public.habit_tracker_old)  FROM PUBLIC;
