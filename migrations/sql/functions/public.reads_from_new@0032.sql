-- public.reads_from_new (function): the statements revision 0032_read_switch ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/public.reads_from_new.sql.

-- statement
CREATE FUNCTION public.reads_from_new()
RETURNS BOOLEAN
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT migration.read_bucket(auth.uid()) < s.percent FROM migration.read_switch AS s), FALSE)
$$;

-- statement
COMMENT ON FUNCTION public.reads_from_new() IS
'Whether the signed-in user''s reads come from the new tables (make cutover PERCENT=n); FALSE without a user';

-- statement
REVOKE ALL ON FUNCTION public.reads_from_new() FROM PUBLIC, anon, service_role;

-- statement
GRANT EXECUTE ON FUNCTION public.reads_from_new() TO authenticated;
