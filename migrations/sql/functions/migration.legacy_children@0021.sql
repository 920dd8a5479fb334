-- migration.legacy_children (function): the statements revision 0021_drain_locks_before_reading ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.legacy_children.sql.

-- statement
CREATE FUNCTION migration.legacy_children(legacy_ids BIGINT[])
RETURNS UUID[]
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(array_agg(DISTINCT c.child ORDER BY c.child), '{}') FROM (
        SELECT migration.child_id(h.user_id, h.child_name) AS child
        FROM public.habit_tracker AS h
        WHERE h.id = ANY(legacy_ids) AND h.user_id IS NOT NULL
        UNION ALL
        SELECT migration.child_id(s.user_id, s.child_name)
        FROM migration.sync_state AS s
        WHERE s.legacy_id = ANY(legacy_ids) AND s.user_id IS NOT NULL
        UNION ALL
        SELECT w.child_id
        FROM public.weeks AS w
        WHERE w.id = ANY(ARRAY(SELECT migration.week_id(i) FROM unnest(legacy_ids) AS i))
    ) AS c
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.legacy_children(BIGINT[]) FROM PUBLIC;
