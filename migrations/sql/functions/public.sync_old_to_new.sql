-- public.sync_old_to_new: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0009, 0012, 0013, 0019).
-- No revision runs this file: each runs its own frozen public.sync_old_to_new@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION public.sync_old_to_new()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    IF current_setting('migration.skip_sync_trigger', TRUE) = 'on' OR NOT migration.sync_trigger_enabled() THEN
        RETURN NULL;
    END IF;
    INSERT INTO migration.sync_queue (legacy_id, operation)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, TG_OP);
    RETURN NULL;
END;
$$;

-- statement
COMMENT ON FUNCTION public.sync_old_to_new() IS 'dual-write mode: queued sync (Phase 1)';

-- statement
REVOKE EXECUTE ON FUNCTION public.sync_old_to_new() FROM PUBLIC, anon, authenticated, service_role;
