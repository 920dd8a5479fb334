-- migration.monday_of (function): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.monday_of.sql.

-- statement
CREATE FUNCTION migration.monday_of(day DATE)
RETURNS DATE
LANGUAGE sql IMMUTABLE
AS $$ SELECT day - (extract(ISODOW FROM day)::INTEGER - 1) $$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.monday_of(DATE) FROM PUBLIC;
