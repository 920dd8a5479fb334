-- migration.map_habits: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0010, 0019).
-- No revision runs this file: each runs its own frozen migration.map_habits@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.map_habits(legacy_id BIGINT, habits JSONB)
RETURNS TABLE (legacy_id BIGINT, id UUID, week_id UUID, name TEXT, display_order INTEGER)
LANGUAGE sql IMMUTABLE
AS $$
    SELECT legacy_id, migration.habit_id(legacy_id, e.pos), migration.week_id(legacy_id),
           e.element ->> 'name', e.pos
    FROM migration.habit_elements(habits) AS e
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.map_habits(BIGINT, JSONB) FROM PUBLIC;
