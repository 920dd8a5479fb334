-- migration.habit_elements (function): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.habit_elements.sql.

-- statement
CREATE FUNCTION migration.habit_elements(habits JSONB)
RETURNS TABLE (pos INTEGER, element JSONB)
LANGUAGE sql IMMUTABLE
AS $$
    SELECT (e.n - 1)::INTEGER, e.element
    FROM jsonb_array_elements(
        CASE WHEN jsonb_typeof(habits) = 'array' THEN habits ELSE '[]'::JSONB END
    ) WITH ORDINALITY AS e (element, n)
$$;
