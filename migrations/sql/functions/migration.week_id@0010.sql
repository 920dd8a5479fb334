-- migration.week_id (function): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.week_id.sql.

-- statement
CREATE FUNCTION migration.week_id(legacy_id BIGINT)
RETURNS UUID
LANGUAGE sql IMMUTABLE
AS $$ SELECT md5('habit_tracker/week/' || legacy_id)::UUID $$;
