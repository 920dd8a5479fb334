-- public.habit_templates (policie): the statements revision 0025_policies_own_children ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.habit_templates.sql.

-- statement
ALTER POLICY habit_templates_insert_policy ON habit_templates WITH CHECK ((SELECT auth.uid()) = user_id AND (habit_templates.child_id IS NULL OR EXISTS (SELECT 1 FROM children AS c WHERE c.id = habit_templates.child_id AND c.user_id = (SELECT auth.uid()))));

-- statement
ALTER POLICY habit_templates_update_policy ON habit_templates USING ((SELECT auth.uid()) = user_id) WITH CHECK ((SELECT auth.uid()) = user_id AND (habit_templates.child_id IS NULL OR EXISTS (SELECT 1 FROM children AS c WHERE c.id = habit_templates.child_id AND c.user_id = (SELECT auth.uid()))));
