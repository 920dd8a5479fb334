-- migration.child_id (function): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.child_id.sql.

-- statement
CREATE FUNCTION migration.child_id(user_id UUID, name TEXT)
RETURNS UUID
LANGUAGE sql IMMUTABLE
AS $$ SELECT md5('habit_tracker/child/' || user_id || '/' || name)::UUID $$;
