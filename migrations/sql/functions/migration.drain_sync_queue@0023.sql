-- migration.drain_sync_queue (function): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.drain_sync_queue.sql.

-- statement
CREATE OR REPLACE FUNCTION migration.drain_sync_queue(batch_size INTEGER DEFAULT 1000)  -- squawk-ignore prefer-bigint-over-int
RETURNS TABLE (queued INTEGER, synced INTEGER, failed INTEGER)
LANGUAGE plpgsql
AS $$
DECLARE
    taken BIGINT[];
    operations TEXT[];
    affected BIGINT[];
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

    -- Each row once. sync_legacy_ids() takes the locks itself (0023: the rows' children, then
    -- every row of their child-weeks, all released and taken again in order when it finds a new
    -- one): taken here first, outside its retry, they could not be given back, and the drain
    -- deadlocked with a backfill batch. It places the rows' child-weeks whole, the other rows
    -- of those weeks included, and deletes children left without a week.
    affected := ARRAY(SELECT DISTINCT t FROM unnest(taken) AS t ORDER BY 1);
    BEGIN
        PERFORM migration.sync_legacy_ids(affected, 'dual_write');

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
