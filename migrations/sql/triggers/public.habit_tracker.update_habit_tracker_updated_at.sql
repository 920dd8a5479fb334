-- public.habit_tracker.update_habit_tracker_updated_at: the trigger's current definition, as the database holds it at head (revisions 0001).
-- No revision runs this file: each runs its own frozen public.habit_tracker.update_habit_tracker_updated_at@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE TRIGGER update_habit_tracker_updated_at BEFORE UPDATE ON habit_tracker FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
