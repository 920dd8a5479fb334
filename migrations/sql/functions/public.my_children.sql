-- public.my_children: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0031).
-- No revision runs this file: each runs its own frozen public.my_children@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION public.my_children()
RETURNS TABLE (child_name TEXT, week_count INTEGER, latest_week_start DATE)
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = ''
AS $$
    -- The caller's children by name, each with how many weeks it has and its newest Monday
    -- (NULL with none).
    SELECT c.name, count(w.id)::INTEGER, max(w.week_start_date)
    FROM public.children AS c
    LEFT JOIN public.weeks AS w ON c.id = w.child_id
    WHERE c.user_id = (SELECT auth.uid())
    GROUP BY c.id, c.name
    ORDER BY c.name
$$;

-- statement
COMMENT ON FUNCTION public.my_children() IS
'The caller''s children: name, number of weeks, newest week''s Monday (revision 0031)';

-- statement
REVOKE EXECUTE ON FUNCTION public.my_children() FROM PUBLIC, anon, service_role;

-- statement
GRANT EXECUTE ON FUNCTION public.my_children() TO authenticated;
