-- public.habit_templates (policie): the statements revision 0004_shadow_rls_policies ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.habit_templates.sql.

-- statement
CREATE POLICY habit_templates_select_policy ON habit_templates FOR SELECT USING (auth.uid() = user_id);

-- statement
CREATE POLICY habit_templates_insert_policy ON habit_templates FOR INSERT WITH CHECK (auth.uid() = user_id);

-- statement
CREATE POLICY habit_templates_update_policy ON habit_templates FOR UPDATE USING (auth.uid() = user_id);

-- statement
CREATE POLICY habit_templates_delete_policy ON habit_templates FOR DELETE USING (auth.uid() = user_id);
