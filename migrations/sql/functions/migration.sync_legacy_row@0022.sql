-- migration.sync_legacy_row (function): the statements revision 0022_row_sync_locks_first ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.sync_legacy_row.sql.

-- statement
CREATE OR REPLACE FUNCTION migration.sync_legacy_row(target_id BIGINT, source TEXT, previous_child UUID DEFAULT NULL)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    c RECORD;
    target_week UUID := migration.week_id(target_id);
    target_child UUID;
    recorded_child UUID;
    week_child UUID;
    current_child UUID;
    held UUID[] := '{}';
    seen UUID[];
    former UUID[];
    habit_lines TEXT;
    record_lines TEXT;
BEGIN
    -- As in sync_legacy_ids(): renames and swaps inside a week are checked at the end.
    SET CONSTRAINTS uq_habits_week_name, uq_habit_records_habit_date, uq_weeks_child_start_date DEFERRED;

    -- One sync per child at a time, until COMMIT (0012): the duplicate_week rule reads the
    -- child's other legacy rows, and the writes below skip rows found equal, so neither may
    -- change under it. Every child the row touches (the one it maps to now, the one it was
    -- last synced to, its week's, previous_child) is locked, in key order, before anything is
    -- read for the sync, then read again under the locks with the row's classification: when
    -- a concurrent sync or a rename committed meanwhile gave the row a child not locked, the
    -- locks are released (the attempt is a subtransaction, rolled back) and all taken again,
    -- the new ones included, in key order, as lock_legacy_children() (0021) does.
    LOOP
        BEGIN
            held := ARRAY(SELECT DISTINCT x.child FROM unnest(held || ARRAY[
                previous_child,
                (SELECT migration.child_id(s.user_id, s.child_name) FROM migration.sync_state AS s
                 WHERE s.legacy_id = target_id),
                (SELECT w.child_id FROM public.weeks AS w WHERE w.id = target_week),
                (SELECT migration.child_id(h.user_id, h.child_name) FROM public.habit_tracker AS h
                 WHERE h.id = target_id)
            ]) AS x (child) WHERE x.child IS NOT NULL);
            PERFORM pg_advisory_xact_lock(k.key)
            FROM (SELECT DISTINCT hashtextextended(x.child::TEXT, 0) AS key FROM unnest(held) AS x (child)
                  ORDER BY 1) AS k;

            -- Under the locks: the row, the child it was synced to, its week's.
            SELECT v.legacy, v.monday, v.reason, v.detail INTO c
            FROM migration.classified_legacy_rows AS v WHERE v.legacy_id = target_id;
            SELECT migration.child_id(s.user_id, s.child_name) INTO recorded_child
            FROM migration.sync_state AS s WHERE s.legacy_id = target_id;
            SELECT w.child_id INTO week_child FROM public.weeks AS w WHERE w.id = target_week;
            current_child := migration.child_id((c.legacy).user_id, (c.legacy).child_name);
            seen := ARRAY(SELECT x.child FROM unnest(ARRAY[recorded_child, week_child, current_child]) AS x (child)
                          WHERE x.child IS NOT NULL);
            IF seen <@ held THEN
                EXIT;
            END IF;
            held := held || seen;
            RAISE EXCEPTION USING ERRCODE = 'MGLCK', MESSAGE = 'the row moved to a child not locked: locking again';
        EXCEPTION WHEN SQLSTATE 'MGLCK' THEN
            NULL;
        END;
    END LOOP;

    IF c.legacy IS NULL OR c.reason IS NOT NULL THEN
        -- Gone, or not mappable: no week; quarantined with its reason while it exists.
        IF c.legacy IS NULL THEN
            DELETE FROM migration.backfill_quarantine AS q WHERE q.legacy_id = target_id;
        ELSE
            INSERT INTO migration.backfill_quarantine AS q (legacy_id, reason, detail)
            VALUES (target_id, c.reason, c.detail)
            ON CONFLICT (legacy_id) DO UPDATE SET reason = excluded.reason, detail = excluded.detail,
                quarantined_at = now()
            WHERE (q.reason, q.detail) IS DISTINCT FROM (excluded.reason, excluded.detail);
        END IF;
        DELETE FROM public.weeks AS w WHERE w.id = target_week;
    ELSE
        DELETE FROM migration.backfill_quarantine AS q WHERE q.legacy_id = target_id;
        target_child := migration.child_id((c.legacy).user_id, (c.legacy).child_name);

        -- Another mapping-written week holding this child-week is stale (duplicate_week).
        DELETE FROM public.weeks AS w
        WHERE w.child_id = target_child AND w.week_start_date = c.monday AND w.id <> target_week
            AND w.source_version IN ('migration', 'dual_write');

        INSERT INTO public.children AS t (id, user_id, name, source_version, created_at)
        SELECT w.child_id, w.user_id, w.child_name, source, w.created_at
        FROM migration.map_week(c.legacy, c.monday) AS w
        ON CONFLICT (id) DO NOTHING;

        -- Each upsert below leaves out the rows already equal to the mapping: ON CONFLICT DO
        -- UPDATE would lock them even when its WHERE is false. The test is a correlated
        -- scalar subquery, one primary-key probe per mapped row: as NOT EXISTS it is planned
        -- as a hash anti-join over the whole table (a CTE's row count is unknown).
        INSERT INTO public.weeks AS t (id, user_id, child_id, week_start_date, week_end_date, theme, reflection,
                                       reward, source_version, created_at, updated_at)
        SELECT w.id, w.user_id, w.child_id, w.week_start_date, w.week_end_date, w.theme, w.reflection, w.reward,
               source, w.created_at, w.updated_at
        FROM migration.map_week(c.legacy, c.monday) AS w
        WHERE (SELECT ROW(x.user_id, x.child_id, x.week_start_date, x.week_end_date, x.theme, x.reflection, x.reward)
               FROM public.weeks AS x WHERE x.id = w.id)
            IS DISTINCT FROM ROW(w.user_id, w.child_id, w.week_start_date, w.week_end_date, w.theme, w.reflection,
                                 w.reward)
        ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, child_id = excluded.child_id,
            week_start_date = excluded.week_start_date, week_end_date = excluded.week_end_date,
            theme = excluded.theme, reflection = excluded.reflection, reward = excluded.reward,
            source_version = excluded.source_version
        WHERE (t.user_id, t.child_id, t.week_start_date, t.week_end_date, t.theme, t.reflection, t.reward)
            IS DISTINCT FROM (excluded.user_id, excluded.child_id, excluded.week_start_date,
                              excluded.week_end_date, excluded.theme, excluded.reflection, excluded.reward);

        -- The week's habits, expanded once: removed, written, and their lines for the
        -- fingerprint. (Data-modifying CTEs run to completion whether read or not.)
        WITH mapped AS MATERIALIZED (
            SELECT m.id, m.week_id, m.name, m.display_order FROM migration.map_habits(target_id, (c.legacy).habits) AS m
        ),
        removed AS (
            DELETE FROM public.habits AS h
            WHERE h.week_id = target_week AND NOT EXISTS (SELECT 1 FROM mapped AS m WHERE m.id = h.id)
        ),
        written AS (
            INSERT INTO public.habits AS t (id, week_id, name, display_order, source_version)
            SELECT m.id, m.week_id, m.name, m.display_order, source
            FROM mapped AS m
            WHERE (SELECT ROW(x.name, x.display_order) FROM public.habits AS x WHERE x.id = m.id)
                IS DISTINCT FROM ROW(m.name, m.display_order)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, display_order = excluded.display_order,
                source_version = excluded.source_version
            WHERE (t.name, t.display_order) IS DISTINCT FROM (excluded.name, excluded.display_order)
        )
        SELECT string_agg(migration.habit_line(m.id, m.name, m.display_order), ';' ORDER BY m.id) INTO habit_lines
        FROM mapped AS m;

        -- The records, the same way. ANY(ARRAY(...)): the week's few habits (as the habits
        -- statement left them) drive an index scan of habit_records.
        WITH mapped AS MATERIALIZED (
            SELECT m.id, m.habit_id, m.record_date, m.status
            FROM migration.map_records(target_id, c.monday, (c.legacy).habits) AS m
        ),
        removed AS (
            DELETE FROM public.habit_records AS r
            WHERE r.habit_id = ANY(ARRAY(SELECT h.id FROM public.habits AS h WHERE h.week_id = target_week))
                AND NOT EXISTS (SELECT 1 FROM mapped AS m WHERE m.id = r.id)
        ),
        written AS (
            INSERT INTO public.habit_records AS t (id, habit_id, record_date, status, source_version)
            SELECT m.id, m.habit_id, m.record_date, m.status, source
            FROM mapped AS m
            WHERE (SELECT ROW(x.record_date, x.status) FROM public.habit_records AS x WHERE x.id = m.id)
                IS DISTINCT FROM ROW(m.record_date, m.status)
            ON CONFLICT (id) DO UPDATE SET record_date = excluded.record_date, status = excluded.status,
                source_version = excluded.source_version
            WHERE (t.record_date, t.status) IS DISTINCT FROM (excluded.record_date, excluded.status)
        )
        SELECT string_agg(migration.record_line(m.id, m.habit_id, m.record_date, m.status), ';' ORDER BY m.id)
        INTO record_lines
        FROM mapped AS m;
    END IF;

    -- The other children locked (the one the row was synced to before, as read under the
    -- locks, previous_child, its week's former child) go once no week refers to them. Their
    -- rows are locked first, so that a concurrent sync adding a week to one is seen (or waits
    -- for us).
    -- (Only when there is such a child: an update in place has none.)
    former := array_remove(held, target_child);
    IF cardinality(former) > 0 THEN
        PERFORM 1 FROM public.children AS ch WHERE ch.id = ANY(former) FOR UPDATE;
        DELETE FROM public.children AS ch
        WHERE ch.id = ANY(former) AND ch.source_version IN ('migration', 'dual_write')
            AND NOT EXISTS (SELECT 1 FROM public.weeks AS w WHERE w.child_id = ch.id);
    END IF;

    -- The sync state of 0011, from the mapping's output (the lines computed above).
    IF c.legacy IS NULL THEN
        DELETE FROM migration.sync_state AS s WHERE s.legacy_id = target_id;
    ELSE
        INSERT INTO migration.sync_state AS t (legacy_id, row_hash, user_id, child_name, monday, week_id, fingerprint)
        SELECT target_id, migration.row_hash(c.legacy), (c.legacy).user_id, (c.legacy).child_name, c.monday,
               CASE WHEN c.reason IS NULL THEN w.id END,
               CASE WHEN c.reason IS NULL THEN
                   migration.week_fingerprint(w.child_id, w.user_id, w.week_start_date, w.week_end_date, w.theme,
                                              w.reflection, w.reward, habit_lines, record_lines)
               END
        FROM migration.map_week(c.legacy, c.monday) AS w
        ON CONFLICT (legacy_id) DO UPDATE SET row_hash = excluded.row_hash, user_id = excluded.user_id,
            child_name = excluded.child_name, monday = excluded.monday, week_id = excluded.week_id,
            fingerprint = excluded.fingerprint, synced_at = now()
        WHERE (t.row_hash, t.week_id, t.fingerprint) IS DISTINCT FROM (excluded.row_hash, excluded.week_id,
                                                                        excluded.fingerprint);
    END IF;
END;
$$;

-- statement
ALTER FUNCTION migration.sync_legacy_row(BIGINT, TEXT, UUID) SET plan_cache_mode = force_generic_plan;
