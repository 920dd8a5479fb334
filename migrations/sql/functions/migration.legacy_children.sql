-- migration.legacy_children: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0021, 0023).
-- No revision runs this file: each runs its own frozen migration.legacy_children@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.legacy_children(legacy_ids BIGINT[])
RETURNS UUID[]
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    -- 0021's query, in PL/pgSQL since 0023 so that its plan is made once a session: every sync
    -- calls it (through lock_legacy_children()) twice, and as an SQL function it was planned at
    -- every call (0.57 ms of an endpoint request).
    RETURN (
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
        ) AS c);
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.legacy_children(BIGINT[]) FROM PUBLIC;
