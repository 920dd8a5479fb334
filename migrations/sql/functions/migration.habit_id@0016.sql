-- migration.habit_id (function): the statements revision 0016_lighter_row_sync ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.habit_id.sql.

-- statement
CREATE OR REPLACE FUNCTION migration.habit_id(legacy_id BIGINT, pos INTEGER)
RETURNS UUID
LANGUAGE sql IMMUTABLE
AS $$ SELECT md5('habit_tracker/habit/' || legacy_id::TEXT || '/' || pos::TEXT)::UUID $$;
