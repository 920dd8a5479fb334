-- public.notifications (policie): the statements revision 0015_rls_planner_friendly ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.notifications.sql.

-- statement
ALTER POLICY notifications_select_policy ON notifications USING ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY notifications_insert_policy ON notifications WITH CHECK ((SELECT auth.uid()) = from_user_id OR from_user_id IS NULL);

-- statement
ALTER POLICY notifications_update_policy ON notifications USING ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY notifications_delete_policy ON notifications USING ((SELECT auth.uid()) = user_id);
