-- public.weeks (policie): the statements revision 0004_shadow_rls_policies ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.weeks.sql.

-- statement
CREATE POLICY weeks_select_policy ON weeks FOR SELECT USING (auth.uid() = user_id);

-- statement
CREATE POLICY weeks_insert_policy ON weeks FOR INSERT WITH CHECK (auth.uid() = user_id);

-- statement
CREATE POLICY weeks_update_policy ON weeks FOR UPDATE USING (auth.uid() = user_id);

-- statement
CREATE POLICY weeks_delete_policy ON weeks FOR DELETE USING (auth.uid() = user_id);
