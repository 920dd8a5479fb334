-- migration.drain_sync_queue (function): the statements revision 0013_dual_write_sync_queue ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.drain_sync_queue.sql.

-- statement
CREATE FUNCTION migration.drain_sync_queue(batch_size INTEGER DEFAULT 1000)  -- squawk-ignore prefer-bigint-over-int
RETURNS TABLE (queued INTEGER, synced INTEGER, failed INTEGER)
LANGUAGE plpgsql
AS $$
DECLARE
    taken BIGINT[];
    operations TEXT[];
    affected BIGINT[];
    former_children UUID[];
    legacy BIGINT;
    failure TEXT;
    n_failed INTEGER := 0;
BEGIN
    -- One drain at a time: pg_cron, `make sync-worker` and `make sync-drain` may overlap.
    IF NOT pg_try_advisory_xact_lock(hashtextextended('migration.drain_sync_queue', 0)) THEN
        RETURN QUERY SELECT 0, 0, 0;
        RETURN;
    END IF;

    WITH batch AS (
        DELETE FROM migration.sync_queue AS q
        WHERE q.id IN (SELECT b.id FROM migration.sync_queue AS b ORDER BY b.id LIMIT batch_size)
        RETURNING q.id, q.legacy_id, q.operation
    )
    SELECT array_agg(b.legacy_id ORDER BY b.id), array_agg(b.operation ORDER BY b.id) INTO taken, operations
    FROM batch AS b;
    IF taken IS NULL THEN
        RETURN QUERY SELECT 0, 0, 0;
        RETURN;
    END IF;

    affected := migration.child_week_members(taken);
    -- The children these rows mapped to at their last sync: a row renamed, re-owned or
    -- deleted since may leave its former child without weeks.
    former_children := ARRAY(
        SELECT DISTINCT migration.child_id(s.user_id, s.child_name) FROM migration.sync_state AS s
        WHERE s.legacy_id = ANY(affected) AND s.user_id IS NOT NULL);

    BEGIN
        -- The per-child locks of sync_legacy_row(), in key order, until COMMIT.
        PERFORM pg_advisory_xact_lock(k.key)
        FROM (SELECT DISTINCT hashtextextended(child::TEXT, 0) AS key
              FROM unnest(former_children || ARRAY(
                  SELECT migration.child_id(h.user_id, h.child_name) FROM public.habit_tracker AS h
                  WHERE h.id = ANY(affected) AND h.user_id IS NOT NULL)) AS child
              ORDER BY 1) AS k;

        PERFORM migration.sync_legacy_ids(affected, 'dual_write');

        PERFORM 1 FROM public.children AS ch WHERE ch.id = ANY(former_children) FOR UPDATE;
        DELETE FROM public.children AS ch
        WHERE ch.id = ANY(former_children) AND ch.source_version IN ('migration', 'dual_write')
            AND NOT EXISTS (SELECT 1 FROM public.weeks AS w WHERE w.child_id = ch.id);

        -- Deferred checks fire here, inside the subtransaction, not at COMMIT.
        SET CONSTRAINTS ALL IMMEDIATE;
        DELETE FROM migration.sync_failures AS f WHERE f.legacy_id = ANY(affected);
    EXCEPTION WHEN OTHERS THEN
        -- Some row cannot be synced: one row at a time, so the others go in and each
        -- failure is recorded against its own row.
        FOREACH legacy IN ARRAY affected LOOP
            failure := migration.try_sync_legacy_row(legacy, coalesce(
                operations[(SELECT max(p) FROM unnest(array_positions(taken, legacy)) AS p)], 'DRAIN'));
            IF failure IS NOT NULL THEN
                n_failed := n_failed + 1;
                RAISE WARNING 'dual-write sync of habit_tracker id % failed (%); recorded in '
                    'migration.sync_failures, `make resync` repairs it', legacy, failure;
            END IF;
        END LOOP;
    END;
    RETURN QUERY SELECT cardinality(taken), cardinality(affected) - n_failed, n_failed;
END;
$$;
