-- migration.map_week: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0010, 0019).
-- No revision runs this file: each runs its own frozen migration.map_week@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.map_week(h public.habit_tracker, monday DATE)  -- noqa: CP05
RETURNS TABLE (legacy_id BIGINT, id UUID, user_id UUID, child_id UUID, child_name TEXT, week_start_date DATE,
               week_end_date DATE, theme TEXT, reflection JSONB, reward TEXT, created_at TIMESTAMPTZ,
               updated_at TIMESTAMPTZ)
LANGUAGE sql STABLE
AS $$
    SELECT h.id, migration.week_id(h.id), h.user_id, migration.child_id(h.user_id, h.child_name), h.child_name,
           monday, monday + 6, h.theme, h.reflection, h.reward,
           coalesce(h.created_at, now()), coalesce(h.updated_at, now())
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.map_week(public.habit_tracker, DATE)  FROM PUBLIC;
