-- public.habit_tracker_old.trigger_habit_tracker_old_refuse_truncate: the trigger's current definition, as the database holds it at head (revisions 0020, 0039; 0039 renamed it and its table).
-- No revision runs this file: each runs its own frozen public.habit_tracker_old.trigger_habit_tracker_old_refuse_truncate@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE TRIGGER trigger_habit_tracker_old_refuse_truncate
BEFORE TRUNCATE ON public.habit_tracker_old
FOR EACH STATEMENT EXECUTE FUNCTION migration.refuse_legacy_truncate();
