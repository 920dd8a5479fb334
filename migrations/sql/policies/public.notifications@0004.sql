-- public.notifications (policie): the statements revision 0004_shadow_rls_policies ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.notifications.sql.

-- statement
CREATE POLICY notifications_select_policy ON notifications FOR SELECT USING (auth.uid() = user_id);

-- statement
CREATE POLICY notifications_insert_policy ON notifications FOR INSERT WITH CHECK (auth.uid() = from_user_id OR from_user_id IS NULL);

-- statement
CREATE POLICY notifications_update_policy ON notifications FOR UPDATE USING (auth.uid() = user_id);

-- statement
CREATE POLICY notifications_delete_policy ON notifications FOR DELETE USING (auth.uid() = user_id);
