-- public.weeks: every row-level-security policy of the table, as currently defined, as the database holds it at head (revisions 0004, 0015, 0025).
-- No revision runs this file: each runs its own frozen public.weeks@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
DROP POLICY IF EXISTS weeks_select_policy ON weeks;

-- statement
CREATE POLICY weeks_select_policy ON weeks FOR SELECT USING ((SELECT auth.uid()) = user_id);

-- statement
DROP POLICY IF EXISTS weeks_insert_policy ON weeks;

-- statement
CREATE POLICY weeks_insert_policy ON weeks FOR INSERT WITH CHECK ((SELECT auth.uid()) = user_id AND EXISTS (SELECT 1 FROM children AS c WHERE c.id = weeks.child_id AND c.user_id = (SELECT auth.uid())));

-- statement
DROP POLICY IF EXISTS weeks_update_policy ON weeks;

-- statement
CREATE POLICY weeks_update_policy ON weeks FOR UPDATE USING ((SELECT auth.uid()) = user_id) WITH CHECK ((SELECT auth.uid()) = user_id AND EXISTS (SELECT 1 FROM children AS c WHERE c.id = weeks.child_id AND c.user_id = (SELECT auth.uid())));

-- statement
DROP POLICY IF EXISTS weeks_delete_policy ON weeks;

-- statement
CREATE POLICY weeks_delete_policy ON weeks FOR DELETE USING ((SELECT auth.uid()) = user_id);
