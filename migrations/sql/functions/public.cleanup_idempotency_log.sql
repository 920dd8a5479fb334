-- public.cleanup_idempotency_log: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0008, 0019).
-- No revision runs this file: each runs its own frozen public.cleanup_idempotency_log@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION public.cleanup_idempotency_log()
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

-- statement
REVOKE EXECUTE ON FUNCTION public.cleanup_idempotency_log() FROM PUBLIC, anon, authenticated, service_role;
