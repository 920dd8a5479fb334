-- public.habit_records (policie): the statements revision 0035_records_policy_by_owner ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.habit_records.sql.

-- statement
ALTER POLICY habit_records_select_policy ON habit_records USING ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY habit_records_insert_policy ON habit_records WITH CHECK ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY habit_records_update_policy ON habit_records USING ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY habit_records_delete_policy ON habit_records USING ((SELECT auth.uid()) = user_id);
