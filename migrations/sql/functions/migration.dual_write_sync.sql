-- migration.dual_write_sync: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0018, 0023).
-- No revision runs this file: each runs its own frozen migration.dual_write_sync@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.dual_write_sync(target_id BIGINT, previous_child UUID, status_field TEXT)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    verdict RECORD;
BEGIN
    -- The row's child-weeks are placed whole, with every other row that has a day in them.
    PERFORM migration.sync_legacy_rows(ARRAY[target_id], 'dual_write', array_remove(ARRAY[previous_child], NULL));
    SET CONSTRAINTS ALL IMMEDIATE;

    IF status_field IS NULL THEN  -- the row was deleted: no verdict to read
        RETURN;
    END IF;
    SELECT q.reason, q.detail INTO verdict FROM migration.backfill_quarantine AS q WHERE q.legacy_id = target_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'PT422', DETAIL = 'invalid_data', MESSAGE = verdict.reason || ': ' || verdict.detail,
        HINT = CASE
            WHEN verdict.reason = 'unknown_status' THEN status_field
            WHEN verdict.reason = 'bad_child_name' THEN 'data.child_name'
            WHEN verdict.reason = 'no_week_start' THEN 'data.week_start_date'
            WHEN verdict.reason IN ('habits_not_array', 'bad_habit', 'bad_habit_name', 'times_not_array',
                                    'times_too_long') THEN 'data.habits'
            ELSE 'data'
        END;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.dual_write_sync(BIGINT, UUID, TEXT) FROM PUBLIC;
