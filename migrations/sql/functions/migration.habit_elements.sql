-- migration.habit_elements: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0010, 0019).
-- No revision runs this file: each runs its own frozen migration.habit_elements@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.habit_elements(habits JSONB)
RETURNS TABLE (pos INTEGER, element JSONB)
LANGUAGE sql IMMUTABLE
AS $$
    SELECT (e.n - 1)::INTEGER, e.element
    FROM jsonb_array_elements(
        CASE WHEN jsonb_typeof(habits) = 'array' THEN habits ELSE '[]'::JSONB END
    ) WITH ORDINALITY AS e (element, n)
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.habit_elements(JSONB) FROM PUBLIC;
