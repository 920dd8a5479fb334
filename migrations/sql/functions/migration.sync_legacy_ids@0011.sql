-- migration.sync_legacy_ids (function): the statements revision 0011_sync_state ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.sync_legacy_ids.sql.

-- statement
CREATE FUNCTION migration.sync_legacy_ids(legacy_ids BIGINT[], source TEXT)
RETURNS TABLE (legacy_rows INTEGER, quarantined INTEGER, weeks_written INTEGER, habits_written INTEGER,
               records_written INTEGER, rows_deleted INTEGER)
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN QUERY SELECT * FROM migration.write_mapping(legacy_ids, source);
    PERFORM migration.record_sync_state(legacy_ids);
END;
$$;
