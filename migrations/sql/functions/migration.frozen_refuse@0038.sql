-- migration.frozen_refuse (function): the statements revision 0038_freeze_legacy ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.frozen_refuse.sql.

-- statement
CREATE FUNCTION migration.frozen_refuse(reason TEXT, detail TEXT, status_field TEXT)
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    -- The 422 migration.dual_write_sync() raises for a quarantine verdict, field for field.
    RAISE EXCEPTION USING ERRCODE = 'PT422', DETAIL = 'invalid_data', MESSAGE = reason || ': ' || detail,
        HINT = CASE
            WHEN reason = 'unknown_status' THEN status_field
            WHEN reason = 'bad_child_name' THEN 'data.child_name'
            WHEN reason = 'no_week_start' THEN 'data.week_start_date'
            WHEN reason IN ('habits_not_array', 'bad_habit', 'bad_habit_name', 'times_not_array',
                            'times_too_long') THEN 'data.habits'
            ELSE 'data'
        END;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.frozen_refuse(TEXT, TEXT, TEXT) FROM PUBLIC;
