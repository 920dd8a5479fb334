-- migration.map_records (function): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.map_records.sql.

-- statement
CREATE FUNCTION migration.map_records(legacy_id BIGINT, monday DATE, habits JSONB)
RETURNS TABLE (legacy_id BIGINT, id UUID, habit_id UUID, record_date DATE, status TEXT)
LANGUAGE sql IMMUTABLE
AS $$
    SELECT legacy_id, migration.record_id(legacy_id, e.pos, (d.n - 1)::INTEGER),
           migration.habit_id(legacy_id, e.pos), monday + (d.n - 1)::INTEGER, d.status
    FROM migration.habit_elements(habits) AS e
    CROSS JOIN LATERAL jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(e.element -> 'times') = 'array' THEN e.element -> 'times' ELSE '[]'::JSONB END
    ) WITH ORDINALITY AS d (status, n)
    WHERE d.n <= 7 AND d.status <> ''
$$;
