-- public.sync_old_to_new (function): the statements revision 0013_dual_write_sync_queue ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/public.sync_old_to_new.sql.

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
