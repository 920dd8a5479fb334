-- public.weeks (policie): the statements revision 0025_policies_own_children ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.weeks.sql.

-- statement
ALTER POLICY weeks_insert_policy ON weeks WITH CHECK ((SELECT auth.uid()) = user_id AND EXISTS (SELECT 1 FROM children AS c WHERE c.id = weeks.child_id AND c.user_id = (SELECT auth.uid())));

-- statement
ALTER POLICY weeks_update_policy ON weeks USING ((SELECT auth.uid()) = user_id) WITH CHECK ((SELECT auth.uid()) = user_id AND EXISTS (SELECT 1 FROM children AS c WHERE c.id = weeks.child_id AND c.user_id = (SELECT auth.uid())));
