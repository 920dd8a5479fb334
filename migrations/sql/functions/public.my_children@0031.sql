-- public.my_children (function): the statements revision 0031_read_as_legacy ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/public.my_children.sql.

-- statement
CREATE FUNCTION public.my_children()
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
