-- public.weeks.carry_weeks_owner_to_records: the trigger's current definition, as the database holds it at head (revisions 0033).
-- No revision runs this file: each runs its own frozen public.weeks.carry_weeks_owner_to_records@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE TRIGGER carry_weeks_owner_to_records
AFTER UPDATE OF user_id ON public.weeks
FOR EACH ROW WHEN (old.user_id IS DISTINCT FROM new.user_id) EXECUTE FUNCTION migration.carry_week_owner();
