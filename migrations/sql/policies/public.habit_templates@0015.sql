-- public.habit_templates (policie): the statements revision 0015_rls_planner_friendly ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.habit_templates.sql.

-- statement
ALTER POLICY habit_templates_select_policy ON habit_templates USING ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY habit_templates_insert_policy ON habit_templates WITH CHECK ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY habit_templates_update_policy ON habit_templates USING ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY habit_templates_delete_policy ON habit_templates USING ((SELECT auth.uid()) = user_id);
