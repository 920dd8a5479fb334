-- public.habit_tracker.trigger_habit_tracker_dual_write (trigger): the statements revision 0009_dual_write_trigger_phase0 ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is triggers/public.habit_tracker.trigger_habit_tracker_dual_write.sql.

-- statement
CREATE TRIGGER trigger_habit_tracker_dual_write
AFTER INSERT OR UPDATE OR DELETE ON habit_tracker
FOR EACH ROW EXECUTE FUNCTION sync_old_to_new();
