-- migration.refuse_frozen_legacy_write: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0038).
-- No revision runs this file: each runs its own frozen migration.refuse_frozen_legacy_write@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.refuse_frozen_legacy_write()
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
