-- public.habits.carry_habits_owner_to_records (trigger): the statements revision 0033_records_owner_column ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is triggers/public.habits.carry_habits_owner_to_records.sql.

-- statement
CREATE TRIGGER carry_habits_owner_to_records
AFTER UPDATE OF week_id ON public.habits
FOR EACH ROW WHEN (old.week_id IS DISTINCT FROM new.week_id) EXECUTE FUNCTION migration.carry_habit_owner();
