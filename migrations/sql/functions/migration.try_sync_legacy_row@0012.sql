-- migration.try_sync_legacy_row (function): the statements revision 0012_dual_write_trigger_sync ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.try_sync_legacy_row.sql.

-- statement
CREATE FUNCTION migration.try_sync_legacy_row(
    target_id BIGINT, operation TEXT, previous_child UUID DEFAULT NULL, siblings BIGINT[] DEFAULT '{}'
)
RETURNS TEXT
LANGUAGE plpgsql
AS $$
DECLARE
    sibling BIGINT;
    error_state TEXT;
    error_message TEXT;
BEGIN
    BEGIN
        PERFORM migration.sync_legacy_row(target_id, 'dual_write', previous_child);
        FOREACH sibling IN ARRAY siblings LOOP
            PERFORM migration.sync_legacy_row(sibling, 'dual_write');
        END LOOP;
        -- Deferred checks fire here, inside the subtransaction, not at the caller's COMMIT.
        SET CONSTRAINTS ALL IMMEDIATE;
        DELETE FROM migration.sync_failures AS f WHERE f.legacy_id = target_id;
        RETURN NULL;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS error_state = RETURNED_SQLSTATE, error_message = MESSAGE_TEXT;
        INSERT INTO migration.sync_failures AS f (legacy_id, operation, sqlstate, message)
        VALUES (target_id, operation, error_state, error_message)
        ON CONFLICT (legacy_id) DO UPDATE SET operation = excluded.operation, sqlstate = excluded.sqlstate,
            message = excluded.message, attempts = f.attempts + 1, last_failed_at = now();
        RETURN format('%s: %s', error_state, error_message);
    END;
END;
$$;
