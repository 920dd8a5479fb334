-- migration.week_id (function): the statements revision 0016_lighter_row_sync ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.week_id.sql.

-- statement
CREATE OR REPLACE FUNCTION migration.week_id(legacy_id BIGINT)
RETURNS UUID
LANGUAGE sql IMMUTABLE
AS $$ SELECT md5('habit_tracker/week/' || legacy_id::TEXT)::UUID $$;
