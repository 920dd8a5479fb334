-- migration.dual_write_sync (function): the statements revision 0018_dual_write_functions ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.dual_write_sync.sql.

-- statement
CREATE FUNCTION migration.dual_write_sync(target_id BIGINT, siblings BIGINT[], previous_child UUID, status_field TEXT)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    sibling BIGINT;
    verdict RECORD;
BEGIN
    PERFORM migration.sync_legacy_row(target_id, 'dual_write', previous_child);
    -- Written out, not a SQL function: that one (a sub-select: not inlinable) was planned on
    -- every call, 3 ms a request.
    FOREACH sibling IN ARRAY coalesce(siblings, ARRAY(
        SELECT s.id FROM public.habit_tracker AS h, migration.child_week_rows(h) AS s (id) WHERE h.id = target_id
    )) LOOP
        PERFORM migration.sync_legacy_row(sibling, 'dual_write');
    END LOOP;
    SET CONSTRAINTS ALL IMMEDIATE;

    IF status_field IS NULL THEN  -- the row was deleted: no verdict to read
        RETURN;
    END IF;
    SELECT q.reason, q.detail INTO verdict FROM migration.backfill_quarantine AS q WHERE q.legacy_id = target_id;
    IF NOT FOUND THEN
        RETURN;
    ELSIF verdict.reason = 'duplicate_week' THEN
        RAISE EXCEPTION USING ERRCODE = 'PT409', DETAIL = 'week_exists',
            MESSAGE = 'this child already has a week starting on that Monday';
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'PT422', DETAIL = 'invalid_data', MESSAGE = verdict.reason || ': ' || verdict.detail,
        HINT = CASE
            WHEN verdict.reason = 'unknown_status' THEN status_field
            WHEN verdict.reason = 'bad_child_name' THEN 'data.child_name'
            WHEN verdict.reason IN ('no_week_start', 'not_monday') THEN 'data.week_start_date'
            WHEN verdict.reason IN ('habits_not_array', 'bad_habit', 'bad_habit_name', 'duplicate_habit_name',
                                    'times_not_array', 'times_too_long') THEN 'data.habits'
            ELSE 'data'
        END;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.dual_write_sync(BIGINT, BIGINT[], UUID, TEXT) FROM PUBLIC;
