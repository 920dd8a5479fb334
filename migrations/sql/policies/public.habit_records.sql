-- public.habit_records: every row-level-security policy of the table, as currently defined, as the database holds it at head (revisions 0004, 0015, 0035).
-- No revision runs this file: each runs its own frozen public.habit_records@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
DROP POLICY IF EXISTS habit_records_select_policy ON habit_records;

-- statement
CREATE POLICY habit_records_select_policy ON habit_records FOR SELECT USING ((SELECT auth.uid()) = user_id);

-- statement
DROP POLICY IF EXISTS habit_records_insert_policy ON habit_records;

-- statement
CREATE POLICY habit_records_insert_policy ON habit_records FOR INSERT WITH CHECK ((SELECT auth.uid()) = user_id);

-- statement
DROP POLICY IF EXISTS habit_records_update_policy ON habit_records;

-- statement
CREATE POLICY habit_records_update_policy ON habit_records FOR UPDATE USING ((SELECT auth.uid()) = user_id);

-- statement
DROP POLICY IF EXISTS habit_records_delete_policy ON habit_records;

-- statement
CREATE POLICY habit_records_delete_policy ON habit_records FOR DELETE USING ((SELECT auth.uid()) = user_id);
