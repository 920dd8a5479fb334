-- migration.sync_legacy_ids (function): the statements revision 0021_drain_locks_before_reading ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.sync_legacy_ids.sql.

-- statement
CREATE OR REPLACE FUNCTION migration.sync_legacy_ids(legacy_ids BIGINT[], source TEXT)
RETURNS TABLE (legacy_rows INTEGER, quarantined INTEGER, weeks_written INTEGER, habits_written INTEGER,
               records_written INTEGER, rows_deleted INTEGER)
LANGUAGE plpgsql
AS $$
DECLARE
    held UUID[] := '{}';
    unlocked UUID[];
    written RECORD;
    n_children INTEGER;
BEGIN
    LOOP
        BEGIN
            -- Every child the rows touch, locked before anything is read for the sync.
            held := (migration.lock_legacy_children(legacy_ids, FALSE, held)).children;
            SELECT m.* INTO written FROM migration.write_mapping(legacy_ids, source) AS m;
            -- write_mapping() classified the rows after the locks: a rename committed in between
            -- gives a row a child not locked. Undo, and again with that child locked.
            unlocked := ARRAY(
                SELECT migration.child_id((s.legacy).user_id, (s.legacy).child_name)
                FROM pg_temp.sync_rows AS s WHERE (s.legacy).user_id IS NOT NULL
                EXCEPT
                SELECT unnest(held));
            IF cardinality(unlocked) > 0 THEN
                held := held || unlocked;
                RAISE EXCEPTION USING ERRCODE = 'MGLCK', MESSAGE = 'a row moved to a child not locked: syncing again';
            END IF;
            EXIT;
        EXCEPTION WHEN SQLSTATE 'MGLCK' THEN
            NULL;
        END;
    END LOOP;
    PERFORM migration.record_sync_state(legacy_ids);

    -- A child the mapping created goes once no week refers to it: the children the rows map
    -- to now, and the ones they mapped to before (a renamed or re-owned row's former child).
    -- Locked first, so that a week added to it is seen (or waits for us).
    PERFORM 1 FROM public.children AS ch WHERE ch.id = ANY(held) FOR UPDATE;
    DELETE FROM public.children AS ch
    WHERE ch.id = ANY(held) AND ch.source_version IN ('migration', 'dual_write')
        AND NOT EXISTS (SELECT 1 FROM public.weeks AS w WHERE w.child_id = ch.id);
    GET DIAGNOSTICS n_children = ROW_COUNT;

    RETURN QUERY SELECT written.legacy_rows, written.quarantined, written.weeks_written, written.habits_written,
                        written.records_written, written.rows_deleted + n_children;
END;
$$;
