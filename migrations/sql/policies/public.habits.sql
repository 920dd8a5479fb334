-- public.habits: every row-level-security policy of the table, as currently defined, as the database holds it at head (revisions 0004, 0015).
-- No revision runs this file: each runs its own frozen public.habits@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
DROP POLICY IF EXISTS habits_select_policy ON habits;

-- statement
CREATE POLICY habits_select_policy ON habits FOR SELECT USING (week_id = ANY(ARRAY(SELECT w.id FROM weeks AS w WHERE w.user_id = (SELECT auth.uid()))));

-- statement
DROP POLICY IF EXISTS habits_insert_policy ON habits;

-- statement
CREATE POLICY habits_insert_policy ON habits FOR INSERT WITH CHECK (week_id = ANY(ARRAY(SELECT w.id FROM weeks AS w WHERE w.user_id = (SELECT auth.uid()))));

-- statement
DROP POLICY IF EXISTS habits_update_policy ON habits;

-- statement
CREATE POLICY habits_update_policy ON habits FOR UPDATE USING (week_id = ANY(ARRAY(SELECT w.id FROM weeks AS w WHERE w.user_id = (SELECT auth.uid()))));

-- statement
DROP POLICY IF EXISTS habits_delete_policy ON habits;

-- statement
CREATE POLICY habits_delete_policy ON habits FOR DELETE USING (week_id = ANY(ARRAY(SELECT w.id FROM weeks AS w WHERE w.user_id = (SELECT auth.uid()))));
