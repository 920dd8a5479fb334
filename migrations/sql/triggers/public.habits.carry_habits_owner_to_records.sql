-- public.habits.carry_habits_owner_to_records: the trigger's current definition, as the database holds it at head (revisions 0033).
-- No revision runs this file: each runs its own frozen public.habits.carry_habits_owner_to_records@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE TRIGGER carry_habits_owner_to_records
AFTER UPDATE OF week_id ON public.habits
FOR EACH ROW WHEN (old.week_id IS DISTINCT FROM new.week_id) EXECUTE FUNCTION migration.carry_habit_owner();
