-- public.habit_tracker.trigger_habit_tracker_frozen (trigger): the statements revision 0038_freeze_legacy ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is triggers/public.habit_tracker.trigger_habit_tracker_frozen.sql.

-- statement
CREATE TRIGGER trigger_habit_tracker_frozen
BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON public.habit_tracker
FOR EACH STATEMENT EXECUTE FUNCTION migration.refuse_frozen_legacy_write();
