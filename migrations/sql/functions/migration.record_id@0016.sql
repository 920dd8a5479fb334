-- migration.record_id (function): the statements revision 0016_lighter_row_sync ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.record_id.sql.

-- statement
CREATE OR REPLACE FUNCTION migration.record_id(legacy_id BIGINT, pos INTEGER, day INTEGER)
RETURNS UUID
LANGUAGE sql IMMUTABLE
AS $$ SELECT md5('habit_tracker/record/' || legacy_id::TEXT || '/' || pos::TEXT || '/' || day::TEXT)::UUID $$;
