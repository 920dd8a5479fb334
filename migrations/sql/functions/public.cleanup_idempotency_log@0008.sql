-- public.cleanup_idempotency_log (function): the statements revision 0008_idempotency_cleanup ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/public.cleanup_idempotency_log.sql.

-- statement
CREATE FUNCTION cleanup_idempotency_log()
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
DECLARE
    deleted_count INTEGER;
BEGIN
    DELETE FROM idempotency_log WHERE expires_at < now();
    GET DIAGNOSTICS deleted_count = ROW_COUNT;
    RETURN deleted_count;
END;
$$;
