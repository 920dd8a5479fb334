-- public.sync_old_to_new (function): the statements revision 0012_dual_write_trigger_sync ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/public.sync_old_to_new.sql.

-- statement
CREATE OR REPLACE FUNCTION public.sync_old_to_new()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    target_id BIGINT := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
    previous_child UUID;
    failure TEXT;
BEGIN
    IF current_setting('migration.skip_sync_trigger', TRUE) = 'on' OR NOT migration.sync_trigger_enabled() THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.user_id IS NOT NULL THEN
        previous_child := migration.child_id(OLD.user_id, OLD.child_name);
    END IF;
    failure := migration.try_sync_legacy_row(target_id, TG_OP, previous_child, ARRAY(
        SELECT s FROM migration.child_week_rows(OLD) AS s WHERE TG_OP <> 'INSERT'
        UNION
        SELECT s FROM migration.child_week_rows(NEW) AS s WHERE TG_OP <> 'DELETE'));
    IF failure IS NOT NULL THEN
        RAISE WARNING 'dual-write sync of habit_tracker id % failed (%); recorded in migration.sync_failures, '
            '`make resync` repairs it', target_id, failure;
    END IF;
    RETURN NULL;
END;
$$;

-- statement
COMMENT ON FUNCTION public.sync_old_to_new() IS 'dual-write mode: sync (Phase 1)';
