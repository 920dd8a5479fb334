-- migration.sync_legacy_row (function): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.sync_legacy_row.sql.

-- statement
CREATE OR REPLACE FUNCTION migration.sync_legacy_row(target_id BIGINT, source TEXT, previous_child UUID DEFAULT NULL)
RETURNS VOID
LANGUAGE sql
AS $$
    SELECT FROM migration.sync_legacy_rows(ARRAY[target_id], source, array_remove(ARRAY[previous_child], NULL))
$$;
