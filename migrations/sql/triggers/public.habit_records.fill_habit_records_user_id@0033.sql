-- public.habit_records.fill_habit_records_user_id (trigger): the statements revision 0033_records_owner_column ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is triggers/public.habit_records.fill_habit_records_user_id.sql.

-- statement
CREATE TRIGGER fill_habit_records_user_id
BEFORE INSERT OR UPDATE OF habit_id, user_id ON public.habit_records
FOR EACH ROW EXECUTE FUNCTION migration.fill_record_owner();
