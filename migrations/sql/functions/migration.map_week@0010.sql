-- migration.map_week (function): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.map_week.sql.

-- statement
CREATE FUNCTION migration.map_week(h public.habit_tracker, monday DATE)  -- noqa: CP05
RETURNS TABLE (legacy_id BIGINT, id UUID, user_id UUID, child_id UUID, child_name TEXT, week_start_date DATE,
               week_end_date DATE, theme TEXT, reflection JSONB, reward TEXT, created_at TIMESTAMPTZ,
               updated_at TIMESTAMPTZ)
LANGUAGE sql STABLE
AS $$
    SELECT h.id, migration.week_id(h.id), h.user_id, migration.child_id(h.user_id, h.child_name), h.child_name,
           monday, monday + 6, h.theme, h.reflection, h.reward,
           coalesce(h.created_at, now()), coalesce(h.updated_at, now())
$$;
