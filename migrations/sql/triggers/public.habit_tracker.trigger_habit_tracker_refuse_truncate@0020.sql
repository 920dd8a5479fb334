-- public.habit_tracker.trigger_habit_tracker_refuse_truncate (trigger): the statements revision 0020_legacy_truncate_guard ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is triggers/public.habit_tracker.trigger_habit_tracker_refuse_truncate.sql.

-- statement
CREATE TRIGGER trigger_habit_tracker_refuse_truncate
BEFORE TRUNCATE ON public.habit_tracker
FOR EACH STATEMENT EXECUTE FUNCTION migration.refuse_legacy_truncate();
