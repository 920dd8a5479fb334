-- migration.dual_write_find_week: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0018, 0023).
-- No revision runs this file: each runs its own frozen migration.dual_write_find_week@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.dual_write_find_week(acting_user UUID, request JSONB)
RETURNS BIGINT
LANGUAGE plpgsql
AS $$
DECLARE
    child TEXT := request ->> 'child_name';
    start_date DATE := (request ->> 'week_start_date')::DATE;
    found_id BIGINT;
BEGIN
    -- The app names a legacy week by its child and its own first day (any day of the week
    -- since 0023: its days are placed by date). Of two rows with the same start, the older.
    SELECT h.id INTO found_id
    FROM public.habit_tracker AS h
    WHERE h.user_id = acting_user AND h.child_name = child
        AND (h.week_start_date = start_date OR h.week_start_date IS NULL)
        AND migration.week_start(h) = start_date
    ORDER BY h.id
    LIMIT 1
    FOR UPDATE OF h;
    IF found_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT404', DETAIL = 'week_not_found',
            MESSAGE = format('no week of %L starting %s', child, start_date);
    END IF;
    RETURN found_id;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.dual_write_find_week(UUID, JSONB) FROM PUBLIC;
