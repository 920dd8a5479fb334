-- public.children: every row-level-security policy of the table, as currently defined, as the database holds it at head (revisions 0004, 0015).
-- No revision runs this file: each runs its own frozen public.children@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
DROP POLICY IF EXISTS children_select_policy ON children;

-- statement
CREATE POLICY children_select_policy ON children FOR SELECT USING ((SELECT auth.uid()) = user_id);

-- statement
DROP POLICY IF EXISTS children_insert_policy ON children;

-- statement
CREATE POLICY children_insert_policy ON children FOR INSERT WITH CHECK ((SELECT auth.uid()) = user_id);

-- statement
DROP POLICY IF EXISTS children_update_policy ON children;

-- statement
CREATE POLICY children_update_policy ON children FOR UPDATE USING ((SELECT auth.uid()) = user_id);

-- statement
DROP POLICY IF EXISTS children_delete_policy ON children;

-- statement
CREATE POLICY children_delete_policy ON children FOR DELETE USING ((SELECT auth.uid()) = user_id);
