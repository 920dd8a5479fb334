-- migration.endpoint_habits_problem (function): the statements revision 0040_drop_legacy ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.endpoint_habits_problem.sql.

-- statement
CREATE FUNCTION migration.endpoint_habits_problem(habits JSONB)
RETURNS TABLE (reason TEXT, detail TEXT)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    e RECORD;
    d RECORD;
BEGIN
    -- migration.local_problem()'s rules for a row's habits (0023), on the request's array: the
    -- same reasons and details, the first problem found in the element order.
    IF habits IS NOT NULL AND jsonb_typeof(habits) NOT IN ('array', 'null') THEN
        RETURN QUERY SELECT 'habits_not_array', format('habits is a JSON %s', jsonb_typeof(habits));
        RETURN;
    END IF;
    SELECT
        min(x.pos) FILTER (WHERE x.name IS NULL) AS no_name,
        min(x.pos) FILTER (WHERE char_length(x.name) NOT BETWEEN 1 AND 200) AS bad_name,
        min(x.pos) FILTER (WHERE jsonb_typeof(x.times) NOT IN ('array', 'null')) AS times_not_array
    INTO e
    FROM (
        SELECT (el.n - 1)::INTEGER AS pos,
               CASE WHEN jsonb_typeof(el.element -> 'name') = 'string' THEN el.element ->> 'name' END AS name,
               CASE WHEN jsonb_typeof(el.element) = 'object' THEN el.element -> 'times' END AS times
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(habits) = 'array' THEN habits ELSE '[]'::JSONB END)
            WITH ORDINALITY AS el (element, n)
    ) AS x;
    IF e.no_name IS NOT NULL THEN
        RETURN QUERY SELECT 'bad_habit', format('habit %s has no text name', e.no_name);
        RETURN;
    ELSIF e.bad_name IS NOT NULL THEN
        RETURN QUERY SELECT 'bad_habit_name', format('habit %s name is empty or over 200 characters', e.bad_name);
        RETURN;
    ELSIF e.times_not_array IS NOT NULL THEN
        RETURN QUERY SELECT 'times_not_array', format('habit %s times is not an array', e.times_not_array);
        RETURN;
    END IF;
    SELECT
        min(el.n - 1) FILTER (WHERE day.n > 7 AND day.status NOT IN ('""', 'null')) AS too_long,
        min(el.n - 1) FILTER (
            WHERE day.n <= 7 AND day.status NOT IN ('""', 'null', '"green"', '"yellow"', '"red"', '"none"')
        ) AS unknown,
        min(day.status::TEXT) FILTER (
            WHERE day.n <= 7 AND day.status NOT IN ('""', 'null', '"green"', '"yellow"', '"red"', '"none"')
        ) AS unknown_value
    INTO d
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(habits) = 'array' THEN habits ELSE '[]'::JSONB END)
        WITH ORDINALITY AS el (element, n)
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(el.element -> 'times') = 'array' THEN el.element -> 'times' ELSE '[]'::JSONB END
    ) WITH ORDINALITY AS day (status, n);
    IF d.too_long IS NOT NULL THEN
        RETURN QUERY SELECT 'times_too_long', format('habit %s has a non-empty day past Sunday', d.too_long);
    ELSIF d.unknown IS NOT NULL THEN
        RETURN QUERY SELECT 'unknown_status', format('habit %s holds %s', d.unknown, d.unknown_value);
    END IF;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.endpoint_habits_problem(JSONB) FROM PUBLIC;
