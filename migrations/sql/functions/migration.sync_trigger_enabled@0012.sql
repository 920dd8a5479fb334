-- migration.sync_trigger_enabled (function): the statements revision 0012_dual_write_trigger_sync ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.sync_trigger_enabled.sql.

-- statement
CREATE FUNCTION migration.sync_trigger_enabled()
RETURNS BOOLEAN
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT value = 'true' FROM migration.settings WHERE name = 'sync_trigger'), TRUE)
$$;
