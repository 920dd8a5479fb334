-- migration.sync_legacy_ids (function): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.sync_legacy_ids.sql.

-- statement
CREATE OR REPLACE FUNCTION migration.sync_legacy_ids(legacy_ids BIGINT[], source TEXT)
RETURNS TABLE (legacy_rows INTEGER, quarantined INTEGER, weeks_written INTEGER, habits_written INTEGER,
               records_written INTEGER, rows_deleted INTEGER)
LANGUAGE sql
AS $$
    SELECT s.* FROM migration.sync_legacy_rows(legacy_ids, source, '{}') AS s
$$;
