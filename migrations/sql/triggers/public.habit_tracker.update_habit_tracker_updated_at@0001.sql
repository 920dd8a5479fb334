-- public.habit_tracker.update_habit_tracker_updated_at (trigger): the statements revision 0001_legacy_baseline ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is triggers/public.habit_tracker.update_habit_tracker_updated_at.sql.

-- statement
CREATE TRIGGER update_habit_tracker_updated_at BEFORE UPDATE ON habit_tracker FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
