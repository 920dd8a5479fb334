-- public.habits (policie): the statements revision 0004_shadow_rls_policies ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.habits.sql.

-- statement
CREATE POLICY habits_select_policy ON habits FOR SELECT USING (EXISTS (SELECT 1 FROM weeks WHERE weeks.id = habits.week_id AND weeks.user_id = auth.uid()));

-- statement
CREATE POLICY habits_insert_policy ON habits FOR INSERT WITH CHECK (EXISTS (SELECT 1 FROM weeks WHERE weeks.id = habits.week_id AND weeks.user_id = auth.uid()));

-- statement
CREATE POLICY habits_update_policy ON habits FOR UPDATE USING (EXISTS (SELECT 1 FROM weeks WHERE weeks.id = habits.week_id AND weeks.user_id = auth.uid()));

-- statement
CREATE POLICY habits_delete_policy ON habits FOR DELETE USING (EXISTS (SELECT 1 FROM weeks WHERE weeks.id = habits.week_id AND weeks.user_id = auth.uid()));
