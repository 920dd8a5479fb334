-- public.children (policie): the statements revision 0004_shadow_rls_policies ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.children.sql.

-- statement
CREATE POLICY children_select_policy ON children FOR SELECT USING (auth.uid() = user_id);

-- statement
CREATE POLICY children_insert_policy ON children FOR INSERT WITH CHECK (auth.uid() = user_id);

-- statement
CREATE POLICY children_update_policy ON children FOR UPDATE USING (auth.uid() = user_id);

-- statement
CREATE POLICY children_delete_policy ON children FOR DELETE USING (auth.uid() = user_id);
