-- public.weeks.carry_weeks_owner_to_records (trigger): the statements revision 0033_records_owner_column ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is triggers/public.weeks.carry_weeks_owner_to_records.sql.

-- statement
CREATE TRIGGER carry_weeks_owner_to_records
AFTER UPDATE OF user_id ON public.weeks
FOR EACH ROW WHEN (old.user_id IS DISTINCT FROM new.user_id) EXECUTE FUNCTION migration.carry_week_owner();
