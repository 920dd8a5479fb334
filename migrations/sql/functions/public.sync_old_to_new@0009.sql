-- public.sync_old_to_new (function): the statements revision 0009_dual_write_trigger_phase0 ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/public.sync_old_to_new.sql.

-- statement
CREATE FUNCTION sync_old_to_new()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE NOTICE 'Dual-write trigger fired: table=%, operation=%, id=%',
        TG_TABLE_NAME, TG_OP, CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
    RETURN NULL;
END;
$$;

-- statement
COMMENT ON FUNCTION sync_old_to_new() IS 'dual-write mode: log-only (Phase 0)';
