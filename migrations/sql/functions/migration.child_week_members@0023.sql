-- migration.child_week_members (function): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.child_week_members.sql.

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
