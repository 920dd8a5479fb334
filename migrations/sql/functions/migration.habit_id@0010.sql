-- migration.habit_id (function): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.habit_id.sql.

-- statement
CREATE FUNCTION migration.habit_id(legacy_id BIGINT, pos INTEGER)
RETURNS UUID
LANGUAGE sql IMMUTABLE
AS $$ SELECT md5('habit_tracker/habit/' || legacy_id || '/' || pos)::UUID $$;
