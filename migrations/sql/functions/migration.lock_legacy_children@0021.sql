-- migration.lock_legacy_children (function): the statements revision 0021_drain_locks_before_reading ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.lock_legacy_children.sql.

-- statement
CREATE FUNCTION migration.lock_legacy_children(
    legacy_ids BIGINT[], with_members BOOLEAN, known UUID[] DEFAULT '{}', OUT ids BIGINT[], OUT children UUID[]
)
LANGUAGE plpgsql
AS $$
DECLARE
    wanted UUID[];
BEGIN
    ids := CASE WHEN with_members THEN migration.child_week_members(legacy_ids) ELSE legacy_ids END;
    wanted := ARRAY(SELECT DISTINCT c FROM unnest(migration.legacy_children(ids) || known) AS c WHERE c IS NOT NULL);
    LOOP
        BEGIN
            -- The per-child locks of 0012, in key order, until COMMIT.
            PERFORM pg_advisory_xact_lock(k.key)
            FROM (SELECT DISTINCT hashtextextended(c::TEXT, 0) AS key FROM unnest(wanted) AS c ORDER BY 1) AS k;
            -- Read again under them: a sync that committed meanwhile may have moved a row.
            ids := CASE WHEN with_members THEN migration.child_week_members(legacy_ids) ELSE legacy_ids END;
            children := migration.legacy_children(ids);
            IF children <@ wanted THEN
                children := wanted;
                RETURN;
            END IF;
            -- A child not locked: release the locks (this block's subtransaction) and take
            -- them all again in key order, never out of order.
            wanted := ARRAY(SELECT DISTINCT c FROM unnest(wanted || children) AS c);
            RAISE EXCEPTION USING ERRCODE = 'MGLCK', MESSAGE = 'a child to lock appeared: locking again';
        EXCEPTION WHEN SQLSTATE 'MGLCK' THEN
            NULL;
        END;
    END LOOP;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.lock_legacy_children(BIGINT[], BOOLEAN, UUID[]) FROM PUBLIC;
