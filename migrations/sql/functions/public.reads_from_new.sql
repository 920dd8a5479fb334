-- public.reads_from_new: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0032).
-- No revision runs this file: each runs its own frozen public.reads_from_new@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION public.reads_from_new()
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
