-- migration.row_hash (function): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.row_hash.sql.

-- statement
CREATE OR REPLACE FUNCTION migration.row_hash(h public.habit_tracker)  -- noqa: CP05
RETURNS UUID
LANGUAGE sql STABLE
AS $$
    SELECT md5(h::TEXT)::UUID
$$;
