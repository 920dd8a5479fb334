-- public.weeks (policie): the statements revision 0015_rls_planner_friendly ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.weeks.sql.

-- statement
ALTER POLICY weeks_select_policy ON weeks USING ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY weeks_insert_policy ON weeks WITH CHECK ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY weeks_update_policy ON weeks USING ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY weeks_delete_policy ON weeks USING ((SELECT auth.uid()) = user_id);
