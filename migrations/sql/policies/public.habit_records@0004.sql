-- public.habit_records (policie): the statements revision 0004_shadow_rls_policies ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.habit_records.sql.

-- statement
CREATE POLICY habit_records_select_policy ON habit_records FOR SELECT USING (EXISTS (SELECT 1 FROM habits INNER JOIN weeks ON habits.week_id = weeks.id WHERE habits.id = habit_records.habit_id AND weeks.user_id = auth.uid()));

-- statement
CREATE POLICY habit_records_insert_policy ON habit_records FOR INSERT WITH CHECK (EXISTS (SELECT 1 FROM habits INNER JOIN weeks ON habits.week_id = weeks.id WHERE habits.id = habit_records.habit_id AND weeks.user_id = auth.uid()));

-- statement
CREATE POLICY habit_records_update_policy ON habit_records FOR UPDATE USING (EXISTS (SELECT 1 FROM habits INNER JOIN weeks ON habits.week_id = weeks.id WHERE habits.id = habit_records.habit_id AND weeks.user_id = auth.uid()));

-- statement
CREATE POLICY habit_records_delete_policy ON habit_records FOR DELETE USING (EXISTS (SELECT 1 FROM habits INNER JOIN weeks ON habits.week_id = weeks.id WHERE habits.id = habit_records.habit_id AND weeks.user_id = auth.uid()));
