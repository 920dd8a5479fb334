-- public.idempotency_log (policie): the statements revision 0007_idempotency_log ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.idempotency_log.sql.

-- statement
CREATE POLICY idempotency_log_select_policy ON idempotency_log FOR SELECT USING (auth.uid() = user_id);

-- statement
CREATE POLICY idempotency_log_insert_policy ON idempotency_log FOR INSERT WITH CHECK (auth.uid() = user_id);

-- statement
CREATE POLICY idempotency_log_update_policy ON idempotency_log FOR UPDATE USING (auth.uid() = user_id) WITH CHECK (auth.uid() = user_id);

-- statement
CREATE POLICY idempotency_log_delete_policy ON idempotency_log FOR DELETE USING (auth.uid() = user_id);
