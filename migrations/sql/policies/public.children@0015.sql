-- public.children (policie): the statements revision 0015_rls_planner_friendly ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.children.sql.

-- statement
ALTER POLICY children_select_policy ON children USING ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY children_insert_policy ON children WITH CHECK ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY children_update_policy ON children USING ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY children_delete_policy ON children USING ((SELECT auth.uid()) = user_id);
