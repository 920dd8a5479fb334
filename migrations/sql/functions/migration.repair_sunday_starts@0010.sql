-- migration.repair_sunday_starts (function): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.repair_sunday_starts.sql.

-- statement
CREATE FUNCTION migration.repair_sunday_starts()
RETURNS BOOLEAN
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT value = 'true' FROM migration.settings WHERE name = 'repair_sunday_starts'), FALSE)
$$;
