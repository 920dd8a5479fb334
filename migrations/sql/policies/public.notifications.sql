-- public.notifications: every row-level-security policy of the table, as currently defined, as the database holds it at head (revisions 0004, 0015, 0025).
-- No revision runs this file: each runs its own frozen public.notifications@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
DROP POLICY IF EXISTS notifications_select_policy ON notifications;

-- statement
CREATE POLICY notifications_select_policy ON notifications FOR SELECT USING ((SELECT auth.uid()) = user_id);

-- statement
DROP POLICY IF EXISTS notifications_insert_policy ON notifications;

-- statement
CREATE POLICY notifications_insert_policy ON notifications FOR INSERT WITH CHECK ((SELECT auth.uid()) = from_user_id);

-- statement
DROP POLICY IF EXISTS notifications_update_policy ON notifications;

-- statement
CREATE POLICY notifications_update_policy ON notifications FOR UPDATE USING ((SELECT auth.uid()) = user_id);

-- statement
DROP POLICY IF EXISTS notifications_delete_policy ON notifications;

-- statement
CREATE POLICY notifications_delete_policy ON notifications FOR DELETE USING ((SELECT auth.uid()) = user_id);
