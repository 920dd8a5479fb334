-- migration.record_id (function): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.record_id.sql.

-- statement
CREATE FUNCTION migration.record_id(legacy_id BIGINT, pos INTEGER, day INTEGER)
RETURNS UUID
LANGUAGE sql IMMUTABLE
AS $$ SELECT md5('habit_tracker/record/' || legacy_id || '/' || pos || '/' || day)::UUID $$;
