-- migration.child_week_rows (function): the statements revision 0012_dual_write_trigger_sync ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.child_week_rows.sql.

-- statement
CREATE FUNCTION migration.child_week_rows(h public.habit_tracker)  -- noqa: CP05
RETURNS SETOF BIGINT
LANGUAGE sql STABLE
AS $$
    SELECT o.id
    FROM public.habit_tracker AS o
    WHERE o.user_id = h.user_id AND o.child_name = h.child_name AND o.id <> h.id
        AND (o.week_start_date IN (migration.week_start(h), migration.week_start(h) - 1) OR o.week_start_date IS NULL)
        AND migration.week_start(o) = migration.week_start(h)
$$;
