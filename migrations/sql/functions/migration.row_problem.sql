-- migration.row_problem: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0010, 0019, 0023; 0039 renamed its argument's type, the legacy table's row type, to habit_tracker_old).
-- No revision runs this file: each runs its own frozen migration.row_problem@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.row_problem(h public.habit_tracker_old)  -- noqa: CP05
RETURNS TABLE (reason TEXT, detail TEXT)
LANGUAGE sql STABLE
AS $$
    -- What keeps a row out of the new tables: only its own content (a missing fact or a shape
    -- the mapping cannot read). Rows of the same child-week merge (migration.placement()).
    SELECT p.reason, p.detail FROM migration.local_problem(h) AS p
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.row_problem(public.habit_tracker_old)  FROM PUBLIC;
