-- migration.child_week_members (function): the statements revision 0013_dual_write_sync_queue ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.child_week_members.sql.

-- statement
CREATE FUNCTION migration.child_week_members(legacy_ids BIGINT[])
RETURNS BIGINT[]
LANGUAGE sql STABLE
AS $$
    SELECT array_agg(DISTINCT m.id ORDER BY m.id) FROM (
        SELECT unnest(legacy_ids) AS id
        UNION
        SELECT migration.child_week_ids(h.user_id, h.child_name, migration.week_start(h))
        FROM public.habit_tracker AS h
        WHERE h.id = ANY(legacy_ids)
        UNION
        SELECT migration.child_week_ids(st.user_id, st.child_name, st.monday)
        FROM migration.sync_state AS st
        WHERE st.legacy_id = ANY(legacy_ids) AND st.monday IS NOT NULL
    ) AS m
$$;
