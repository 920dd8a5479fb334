-- migration.row_problem (function): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.row_problem.sql.

-- statement
CREATE OR REPLACE FUNCTION migration.row_problem(h public.habit_tracker)  -- noqa: CP05
RETURNS TABLE (reason TEXT, detail TEXT)
LANGUAGE sql STABLE
AS $$
    -- What keeps a row out of the new tables: only its own content (a missing fact or a shape
    -- the mapping cannot read). Rows of the same child-week merge (migration.placement()).
    SELECT p.reason, p.detail FROM migration.local_problem(h) AS p
$$;
