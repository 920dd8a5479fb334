-- public.update_updated_at_column: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0001, 0019).
-- No revision runs this file: each runs its own frozen public.update_updated_at_column@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION public.update_updated_at_column()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION public.update_updated_at_column() FROM PUBLIC, anon, authenticated, service_role;
