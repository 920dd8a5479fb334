-- migration.week_members (function): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.week_members.sql.

-- statement
CREATE FUNCTION migration.week_members(keys migration.child_week[])  -- noqa: CP05
RETURNS BIGINT[]
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    -- Every legacy row with a day in one of the child-weeks: what migration.placement() needs
    -- to place them whole. By idx_habit_tracker_user_child_week. PL/pgSQL so that the plan is
    -- made once a session (an SQL function that cannot be inlined is planned at every call).
    RETURN (
        SELECT coalesce(array_agg(DISTINCT h.id ORDER BY h.id), '{}')
        FROM unnest(keys) AS k
        INNER JOIN public.habit_tracker AS h
            ON h.user_id = k.user_id AND h.child_name = k.child_name
            AND (h.week_start_date BETWEEN k.monday - 6 AND k.monday + 6 OR h.week_start_date IS NULL)
        WHERE migration.week_start(h) BETWEEN k.monday - 6 AND k.monday + 6);
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.week_members(migration.child_week[])  -- noqa: CP05
FROM PUBLIC;
