-- migration.child_week_ids (function): the statements revision 0013_dual_write_sync_queue ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.child_week_ids.sql.

-- statement
CREATE FUNCTION migration.child_week_ids(user_id UUID, child_name TEXT, monday DATE)
RETURNS SETOF BIGINT
LANGUAGE sql STABLE
AS $$
    SELECT o.id
    FROM public.habit_tracker AS o
    WHERE o.user_id = child_week_ids.user_id AND o.child_name = child_week_ids.child_name
        AND (o.week_start_date IN (child_week_ids.monday, child_week_ids.monday - 1) OR o.week_start_date IS NULL)
        AND migration.week_start(o) = child_week_ids.monday
$$;
