-- public.habits (policie): the statements revision 0015_rls_planner_friendly ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.habits.sql.

-- statement
ALTER POLICY habits_select_policy ON habits USING (week_id = ANY(ARRAY(SELECT w.id FROM weeks AS w WHERE w.user_id = (SELECT auth.uid()))));

-- statement
ALTER POLICY habits_insert_policy ON habits WITH CHECK (week_id = ANY(ARRAY(SELECT w.id FROM weeks AS w WHERE w.user_id = (SELECT auth.uid()))));

-- statement
ALTER POLICY habits_update_policy ON habits USING (week_id = ANY(ARRAY(SELECT w.id FROM weeks AS w WHERE w.user_id = (SELECT auth.uid()))));

-- statement
ALTER POLICY habits_delete_policy ON habits USING (week_id = ANY(ARRAY(SELECT w.id FROM weeks AS w WHERE w.user_id = (SELECT auth.uid()))));
