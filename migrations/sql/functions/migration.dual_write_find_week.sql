-- migration.dual_write_find_week: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0018).
-- No revision runs this file: each runs its own frozen migration.dual_write_find_week@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.dual_write_find_week(acting_user UUID, request JSONB)
RETURNS BIGINT
LANGUAGE plpgsql
AS $$
DECLARE
    child TEXT := request ->> 'child_name';
    monday DATE := (request ->> 'week_start_date')::DATE;
    found_id BIGINT;
BEGIN
    IF extract(ISODOW FROM monday) <> 1 THEN  -- no week starts on another day (ck_weeks_start_monday)
        RAISE EXCEPTION USING ERRCODE = 'PT422', DETAIL = 'invalid_data', HINT = 'data.week_start_date',
            MESSAGE = format('%s is not a Monday: weeks start on Monday', monday);
    END IF;
    SELECT h.id INTO found_id
    FROM migration.child_week_ids(acting_user, child, monday) AS w (id)
    INNER JOIN public.habit_tracker AS h ON w.id = h.id
    ORDER BY EXISTS (SELECT 1 FROM migration.local_problem(h) AS p
                     WHERE (SELECT count(*) FROM migration.child_week_ids(acting_user, child, monday)) > 1), h.id
    LIMIT 1
    FOR UPDATE OF h;
    IF found_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT404', DETAIL = 'week_not_found',
            MESSAGE = format('no week of %L starting %s', child, monday);
    END IF;
    RETURN found_id;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.dual_write_find_week(UUID, JSONB) FROM PUBLIC;
