-- public.habit_tracker_old.update_habit_tracker_old_updated_at: the trigger's current definition, as the database holds it at head (revisions 0001, 0039; 0039 renamed it and its table).
-- No revision runs this file: each runs its own frozen public.habit_tracker_old.update_habit_tracker_old_updated_at@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE TRIGGER update_habit_tracker_old_updated_at BEFORE UPDATE ON public.habit_tracker_old FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
