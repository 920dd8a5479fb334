-- migration.row_hash (function): the statements revision 0011_sync_state ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.row_hash.sql.

-- statement
CREATE FUNCTION migration.row_hash(h public.habit_tracker)  -- noqa: CP05
RETURNS UUID
LANGUAGE sql STABLE
AS $$
    SELECT md5(h::TEXT || '/repair_sunday_starts=' || migration.repair_sunday_starts())::UUID
$$;
