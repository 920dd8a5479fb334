-- migration.habit_line (function): the statements revision 0011_sync_state ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.habit_line.sql.

-- statement
CREATE FUNCTION migration.habit_line(id UUID, name TEXT, display_order INTEGER)
RETURNS TEXT
LANGUAGE sql IMMUTABLE
AS $$ SELECT id::TEXT || ' ' || display_order::TEXT || ' ' || quote_literal(name) $$;
