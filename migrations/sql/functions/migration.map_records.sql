-- migration.map_records: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0010, 0019).
-- No revision runs this file: each runs its own frozen migration.map_records@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.map_records(legacy_id BIGINT, monday DATE, habits JSONB)
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

-- statement
REVOKE EXECUTE ON FUNCTION migration.map_records(BIGINT, DATE, JSONB) FROM PUBLIC;
