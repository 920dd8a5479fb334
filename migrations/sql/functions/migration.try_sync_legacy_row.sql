-- migration.try_sync_legacy_row: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0012, 0019).
-- No revision runs this file: each runs its own frozen migration.try_sync_legacy_row@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.try_sync_legacy_row(
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

-- statement
REVOKE EXECUTE ON FUNCTION migration.try_sync_legacy_row(BIGINT, TEXT, UUID, BIGINT[]) FROM PUBLIC;
