-- public.habit_templates.set_habit_templates_updated_at (trigger): the statements revision 0002_shadow_tables ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is triggers/public.habit_templates.set_habit_templates_updated_at.sql.

-- statement
CREATE TRIGGER set_habit_templates_updated_at BEFORE UPDATE ON habit_templates FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
