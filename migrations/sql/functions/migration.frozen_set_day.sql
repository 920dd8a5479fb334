-- migration.frozen_set_day: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0038).
-- No revision runs this file: each runs its own frozen migration.frozen_set_day@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.frozen_set_day(habit UUID, day DATE, day_status TEXT)
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    -- '' un-checks the day: no record. An existing record keeps its id and source_version.
    IF day_status = '' THEN
        DELETE FROM public.habit_records AS r WHERE r.habit_id = habit AND r.record_date = day;
        RETURN;
    END IF;
    UPDATE public.habit_records AS r SET status = day_status
    WHERE r.habit_id = habit AND r.record_date = day AND r.status IS DISTINCT FROM day_status;
    IF NOT EXISTS (SELECT 1 FROM public.habit_records AS r WHERE r.habit_id = habit AND r.record_date = day) THEN
        INSERT INTO public.habit_records (id, habit_id, record_date, status)
        VALUES (md5('habit_tracker/record/' || habit::TEXT || '/' || day::TEXT)::UUID, habit, day, day_status);
    END IF;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.frozen_set_day(UUID, DATE, TEXT) FROM PUBLIC;
