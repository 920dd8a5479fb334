-- public.notifications (policie): the statements revision 0025_policies_own_children ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.notifications.sql.

-- statement
ALTER POLICY notifications_insert_policy ON notifications WITH CHECK ((SELECT auth.uid()) = from_user_id);
