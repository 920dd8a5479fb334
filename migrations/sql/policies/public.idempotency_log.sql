-- public.idempotency_log: every row-level-security policy of the table, as currently defined, as the database holds it at head (revisions 0007, 0025).
-- No revision runs this file: each runs its own frozen public.idempotency_log@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
DROP POLICY IF EXISTS idempotency_log_select_policy ON idempotency_log;

-- statement
CREATE POLICY idempotency_log_select_policy ON idempotency_log FOR SELECT USING ((SELECT auth.uid()) = user_id);

-- statement
DROP POLICY IF EXISTS idempotency_log_insert_policy ON idempotency_log;

-- statement
CREATE POLICY idempotency_log_insert_policy ON idempotency_log FOR INSERT WITH CHECK ((SELECT auth.uid()) = user_id);

-- statement
DROP POLICY IF EXISTS idempotency_log_update_policy ON idempotency_log;

-- statement
CREATE POLICY idempotency_log_update_policy ON idempotency_log FOR UPDATE USING ((SELECT auth.uid()) = user_id) WITH CHECK ((SELECT auth.uid()) = user_id);

-- statement
DROP POLICY IF EXISTS idempotency_log_delete_policy ON idempotency_log;

-- statement
CREATE POLICY idempotency_log_delete_policy ON idempotency_log FOR DELETE USING ((SELECT auth.uid()) = user_id);
