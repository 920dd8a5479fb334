-- migration.endpoint_refuse: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0040).
-- No revision runs this file: each runs its own frozen migration.endpoint_refuse@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.endpoint_refuse(reason TEXT, detail TEXT, status_field TEXT)
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    -- The 422 of migration.frozen_refuse() (0038), field for field, and not_monday: since the
    -- drop a week is named by its Monday, as the new tables name it.
    RAISE EXCEPTION USING ERRCODE = 'PT422', DETAIL = 'invalid_data', MESSAGE = reason || ': ' || detail,
        HINT = CASE
            WHEN reason = 'unknown_status' THEN status_field
            WHEN reason = 'bad_child_name' THEN 'data.child_name'
            WHEN reason IN ('no_week_start', 'not_monday') THEN 'data.week_start_date'
            WHEN reason IN ('habits_not_array', 'bad_habit', 'bad_habit_name', 'times_not_array',
                            'times_too_long') THEN 'data.habits'
            ELSE 'data'
        END;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.endpoint_refuse(TEXT, TEXT, TEXT) FROM PUBLIC;
