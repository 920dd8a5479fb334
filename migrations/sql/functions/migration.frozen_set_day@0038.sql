-- migration.frozen_set_day (function): the statements revision 0038_freeze_legacy ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.frozen_set_day.sql.

-- statement
CREATE FUNCTION migration.frozen_set_day(habit UUID, day DATE, day_status TEXT)
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
