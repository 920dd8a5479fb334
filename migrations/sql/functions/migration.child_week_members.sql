-- migration.child_week_members: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0013, 0019).
-- No revision runs this file: each runs its own frozen migration.child_week_members@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.child_week_members(legacy_ids BIGINT[])
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

-- statement
REVOKE EXECUTE ON FUNCTION migration.child_week_members(BIGINT[]) FROM PUBLIC;
