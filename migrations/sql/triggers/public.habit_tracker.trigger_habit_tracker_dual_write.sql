-- public.habit_tracker.trigger_habit_tracker_dual_write: the trigger's current definition, as the database holds it at head (revisions 0009).
-- No revision runs this file: each runs its own frozen public.habit_tracker.trigger_habit_tracker_dual_write@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE TRIGGER trigger_habit_tracker_dual_write
AFTER INSERT OR UPDATE OR DELETE ON habit_tracker
FOR EACH ROW EXECUTE FUNCTION sync_old_to_new();
