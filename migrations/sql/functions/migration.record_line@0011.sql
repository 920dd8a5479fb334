-- migration.record_line (function): the statements revision 0011_sync_state ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.record_line.sql.

-- statement
CREATE FUNCTION migration.record_line(id UUID, habit_id UUID, record_date DATE, status TEXT)
RETURNS TEXT
LANGUAGE sql STABLE
AS $$ SELECT id::TEXT || ' ' || habit_id::TEXT || ' ' || record_date::TEXT || ' ' || quote_literal(status) $$;
