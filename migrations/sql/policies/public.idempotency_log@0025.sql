-- public.idempotency_log (policie): the statements revision 0025_policies_own_children ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.idempotency_log.sql.

-- statement
ALTER POLICY idempotency_log_select_policy ON idempotency_log USING ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY idempotency_log_insert_policy ON idempotency_log WITH CHECK ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY idempotency_log_update_policy ON idempotency_log USING ((SELECT auth.uid()) = user_id) WITH CHECK ((SELECT auth.uid()) = user_id);

-- statement
ALTER POLICY idempotency_log_delete_policy ON idempotency_log USING ((SELECT auth.uid()) = user_id);
