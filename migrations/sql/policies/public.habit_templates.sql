-- public.habit_templates: every row-level-security policy of the table, as currently defined, as the database holds it at head (revisions 0004, 0015, 0025).
-- No revision runs this file: each runs its own frozen public.habit_templates@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
DROP POLICY IF EXISTS habit_templates_select_policy ON habit_templates;

-- statement
CREATE POLICY habit_templates_select_policy ON habit_templates FOR SELECT USING ((SELECT auth.uid()) = user_id);

-- statement
DROP POLICY IF EXISTS habit_templates_insert_policy ON habit_templates;

-- statement
CREATE POLICY habit_templates_insert_policy ON habit_templates FOR INSERT WITH CHECK ((SELECT auth.uid()) = user_id AND (habit_templates.child_id IS NULL OR EXISTS (SELECT 1 FROM children AS c WHERE c.id = habit_templates.child_id AND c.user_id = (SELECT auth.uid()))));

-- statement
DROP POLICY IF EXISTS habit_templates_update_policy ON habit_templates;

-- statement
CREATE POLICY habit_templates_update_policy ON habit_templates FOR UPDATE USING ((SELECT auth.uid()) = user_id) WITH CHECK ((SELECT auth.uid()) = user_id AND (habit_templates.child_id IS NULL OR EXISTS (SELECT 1 FROM children AS c WHERE c.id = habit_templates.child_id AND c.user_id = (SELECT auth.uid()))));

-- statement
DROP POLICY IF EXISTS habit_templates_delete_policy ON habit_templates;

-- statement
CREATE POLICY habit_templates_delete_policy ON habit_templates FOR DELETE USING ((SELECT auth.uid()) = user_id);
