-- public.habit_records.fill_habit_records_user_id: the trigger's current definition, as the database holds it at head (revisions 0033).
-- No revision runs this file: each runs its own frozen public.habit_records.fill_habit_records_user_id@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE TRIGGER fill_habit_records_user_id
BEFORE INSERT OR UPDATE OF habit_id, user_id ON public.habit_records
FOR EACH ROW EXECUTE FUNCTION migration.fill_record_owner();
