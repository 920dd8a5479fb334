-- migration.child_week_members: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0013, 0019, 0023).
-- No revision runs this file: each runs its own frozen migration.child_week_members@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.child_week_members(legacy_ids BIGINT[])
RETURNS BIGINT[]
LANGUAGE sql STABLE
AS $$
    -- The rows and every other row of the child-weeks they touch (0023: by date, not by start).
    SELECT array_agg(DISTINCT m.id ORDER BY m.id) FROM (
        SELECT unnest(legacy_ids) AS id
        UNION
        SELECT unnest(migration.week_members(ARRAY(SELECT k FROM migration.legacy_weeks(legacy_ids) AS k)))
    ) AS m
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.child_week_members(BIGINT[])
FROM PUBLIC;
