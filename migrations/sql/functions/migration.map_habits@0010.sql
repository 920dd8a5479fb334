-- migration.map_habits (function): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.map_habits.sql.

-- statement
CREATE FUNCTION migration.map_habits(legacy_id BIGINT, habits JSONB)
RETURNS TABLE (legacy_id BIGINT, id UUID, week_id UUID, name TEXT, display_order INTEGER)
LANGUAGE sql IMMUTABLE
AS $$
    SELECT legacy_id, migration.habit_id(legacy_id, e.pos), migration.week_id(legacy_id),
           e.element ->> 'name', e.pos
    FROM migration.habit_elements(habits) AS e
$$;
