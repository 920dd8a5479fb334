-- migration.refuse_legacy_truncate (function): the statements revision 0020_legacy_truncate_guard ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.refuse_legacy_truncate.sql.

-- statement
CREATE FUNCTION migration.refuse_legacy_truncate()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'object_not_in_prerequisite_state',
        MESSAGE = format('TRUNCATE %s is refused while dual-write keeps the new tables in step', TG_TABLE_NAME),
        DETAIL = 'TRUNCATE fires no row trigger: nothing would be queued, and the new tables would keep every week.',
        HINT = 'DELETE the rows instead (each deletion is queued and synced).';
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.refuse_legacy_truncate() FROM PUBLIC;
