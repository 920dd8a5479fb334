-- public.habit_records (policie): the statements revision 0015_rls_planner_friendly ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.habit_records.sql.

-- statement
ALTER POLICY habit_records_select_policy ON habit_records USING (habit_id = ANY(ARRAY(SELECT h.id FROM habits AS h INNER JOIN weeks AS w ON h.week_id = w.id WHERE w.user_id = (SELECT auth.uid()))));

-- statement
ALTER POLICY habit_records_insert_policy ON habit_records WITH CHECK (habit_id = ANY(ARRAY(SELECT h.id FROM habits AS h INNER JOIN weeks AS w ON h.week_id = w.id WHERE w.user_id = (SELECT auth.uid()))));

-- statement
ALTER POLICY habit_records_update_policy ON habit_records USING (habit_id = ANY(ARRAY(SELECT h.id FROM habits AS h INNER JOIN weeks AS w ON h.week_id = w.id WHERE w.user_id = (SELECT auth.uid()))));

-- statement
ALTER POLICY habit_records_delete_policy ON habit_records USING (habit_id = ANY(ARRAY(SELECT h.id FROM habits AS h INNER JOIN weeks AS w ON h.week_id = w.id WHERE w.user_id = (SELECT auth.uid()))));
