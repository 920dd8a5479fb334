-- migration.sync_legacy_rows: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0023).
-- No revision runs this file: each runs its own frozen migration.sync_legacy_rows@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.sync_legacy_rows(legacy_ids BIGINT[], source TEXT, known_children UUID[])
RETURNS TABLE (legacy_rows INTEGER, quarantined INTEGER, weeks_written INTEGER, habits_written INTEGER,
               records_written INTEGER, rows_deleted INTEGER)
LANGUAGE plpgsql
AS $$
DECLARE
    held UUID[] := '{}';
    keys migration.child_week[];
    unlocked UUID[];
    members BIGINT[];
    rows_held BIGINT[] := '{}';
    written RECORD;
    n_legacy INTEGER;
    n_quarantined INTEGER;
    n_children INTEGER;
BEGIN
    -- The one sync of legacy rows (0023): the backfill's, the drain's, the endpoint's and
    -- resync's. Every child the rows touch (now, at their last sync, in weeks, and the known
    -- ones: a deleted row's former child) is locked before anything is read (0021), then every
    -- row of the child-weeks to place; those are read under the locks, and all taken again
    -- with the new ones when a rename or a concurrent placement committed in between.
    LOOP
        BEGIN
            held := (migration.lock_legacy_children(legacy_ids, FALSE, held || coalesce(known_children, '{}'))).children;
            -- Then the rows: the given ones and every row of their child-weeks, in id order, after
            -- the children (never the other way round). A sync placing a row another sync moves
            -- waits for it, and then sees where it placed it (migration.placed_weeks).
            PERFORM pg_advisory_xact_lock(hashtextextended('migration.legacy_row/' || r.id::TEXT, 0))
            FROM (SELECT DISTINCT x.id FROM unnest(legacy_ids || rows_held) AS x (id) ORDER BY 1) AS r;
            -- Read again under the locks: a child or a row not locked means all are taken again.
            keys := ARRAY(SELECT k FROM migration.legacy_weeks(legacy_ids) AS k);
            unlocked := ARRAY(SELECT migration.child_id(k.user_id, k.child_name) FROM unnest(keys) AS k
                              EXCEPT
                              SELECT unnest(held));
            members := migration.week_members(keys);
            IF cardinality(unlocked) > 0 OR NOT members <@ (legacy_ids || rows_held) THEN
                held := held || unlocked;
                rows_held := ARRAY(SELECT DISTINCT x FROM unnest(rows_held || members) AS x);
                RAISE EXCEPTION USING ERRCODE = 'MGLCK', MESSAGE = 'a row or child not locked: locking again';
            END IF;
            EXIT;
        EXCEPTION WHEN SQLSTATE 'MGLCK' THEN
            NULL;
        END;
    END LOOP;

    -- Quarantine: why each row the mapping cannot take is out; the rows it takes are released.
    WITH verdict AS MATERIALIZED (
        SELECT c.legacy_id, c.reason, c.detail FROM migration.classified_legacy_rows AS c
        WHERE c.legacy_id = ANY(legacy_ids)
    ),
    released AS (
        DELETE FROM migration.backfill_quarantine AS q
        WHERE q.legacy_id = ANY(legacy_ids)
            AND NOT EXISTS (SELECT 1 FROM verdict AS v WHERE v.legacy_id = q.legacy_id AND v.reason IS NOT NULL)
    )
    INSERT INTO migration.backfill_quarantine AS q (legacy_id, reason, detail)
    SELECT v.legacy_id, v.reason, v.detail FROM verdict AS v WHERE v.reason IS NOT NULL
    ON CONFLICT (legacy_id) DO UPDATE SET reason = excluded.reason, detail = excluded.detail, quarantined_at = now()
    WHERE (q.reason, q.detail) IS DISTINCT FROM (excluded.reason, excluded.detail);

    SELECT w.* INTO written FROM migration.place_child_weeks(keys, source) AS w;

    -- The sync state: each row as synced (its hash and where its days fall).
    DELETE FROM migration.sync_state AS s
    WHERE s.legacy_id = ANY(legacy_ids) AND NOT EXISTS (SELECT 1 FROM public.habit_tracker AS h WHERE h.id = s.legacy_id);
    INSERT INTO migration.sync_state AS t (legacy_id, row_hash, user_id, child_name, start_date)
    SELECT h.id, migration.row_hash(h), h.user_id, h.child_name, migration.week_start(h)
    FROM public.habit_tracker AS h
    WHERE h.id = ANY(legacy_ids)
    ON CONFLICT (legacy_id) DO UPDATE SET row_hash = excluded.row_hash, user_id = excluded.user_id,
        child_name = excluded.child_name, start_date = excluded.start_date, synced_at = now()
    WHERE (t.row_hash, t.user_id, t.child_name, t.start_date)
        IS DISTINCT FROM (excluded.row_hash, excluded.user_id, excluded.child_name, excluded.start_date);

    -- A child the mapping created goes once no week refers to it (a renamed, re-owned or
    -- deleted row's former child). Locked first: a week added to it is seen, or waits for us.
    PERFORM 1 FROM public.children AS ch WHERE ch.id = ANY(held) FOR UPDATE;
    DELETE FROM public.children AS ch
    WHERE ch.id = ANY(held) AND ch.source_version IN ('migration', 'dual_write')
        AND NOT EXISTS (SELECT 1 FROM public.weeks AS w WHERE w.child_id = ch.id);
    GET DIAGNOSTICS n_children = ROW_COUNT;

    SELECT count(*) INTO n_legacy FROM public.habit_tracker AS h WHERE h.id = ANY(legacy_ids);
    SELECT count(*) INTO n_quarantined FROM migration.backfill_quarantine AS q WHERE q.legacy_id = ANY(legacy_ids);
    RETURN QUERY SELECT n_legacy, n_quarantined, written.weeks_written, written.habits_written, written.records_written,
                        written.rows_deleted + n_children;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.sync_legacy_rows(BIGINT[], TEXT, UUID[]) FROM PUBLIC;
