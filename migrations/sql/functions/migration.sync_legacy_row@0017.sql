-- migration.sync_legacy_row (function): the statements revision 0017_row_sync_generic_plans ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.sync_legacy_row.sql.

-- statement
ALTER FUNCTION migration.sync_legacy_row(BIGINT, TEXT, UUID) SET plan_cache_mode = force_generic_plan;
