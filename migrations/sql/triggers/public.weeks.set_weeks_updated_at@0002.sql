-- public.weeks.set_weeks_updated_at (trigger): the statements revision 0002_shadow_tables ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is triggers/public.weeks.set_weeks_updated_at.sql.

-- statement
CREATE TRIGGER set_weeks_updated_at BEFORE UPDATE ON weeks FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
