-- migration.refuse_frozen_legacy_write (function): the statements revision 0038_freeze_legacy ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.refuse_frozen_legacy_write.sql.

-- statement
CREATE FUNCTION migration.refuse_frozen_legacy_write()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    -- No setting, role or session switch lets a write through: the way back is the downgrade,
    -- which carries what was written while frozen back into the table first.
    RAISE EXCEPTION USING
        ERRCODE = 'read_only_sql_transaction',
        MESSAGE = format('%s is frozen (Phase 3, revision 0038_freeze_legacy): %s refused', TG_TABLE_NAME, TG_OP),
        DETAIL = 'The app writes only the new tables since the freeze (migration.dual_write); the legacy table is read-only.',
        HINT = 'Write through the endpoint; to write the legacy table again, downgrade 0038_freeze_legacy.';
END;
$$;

-- statement
COMMENT ON FUNCTION migration.refuse_frozen_legacy_write() IS
'Refuses every INSERT, UPDATE, DELETE and TRUNCATE of habit_tracker while it is frozen (revision 0038)';

-- statement
REVOKE EXECUTE ON FUNCTION migration.refuse_frozen_legacy_write() FROM PUBLIC;
