-- public.child_weeks (function): the statements revision 0031_read_as_legacy ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/public.child_weeks.sql.

-- statement
CREATE FUNCTION public.child_weeks(child_name TEXT)
RETURNS TABLE (week_start_date DATE, week_period TEXT)
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = ''
AS $$
    -- The caller's child's weeks, newest first: each Monday with its legacy label, the two
    -- arguments the app then passes to week_as_legacy().
    SELECT w.week_start_date, public.week_period_label(w.week_start_date)
    FROM public.children AS c
    INNER JOIN public.weeks AS w ON c.id = w.child_id
    WHERE c.user_id = (SELECT auth.uid()) AND c.name = child_weeks.child_name
    ORDER BY w.week_start_date DESC
$$;

-- statement
COMMENT ON FUNCTION public.child_weeks(TEXT) IS
'The caller''s child''s weeks, newest first: Monday and legacy week_period label (revision 0031)';

-- statement
REVOKE EXECUTE ON FUNCTION public.child_weeks(TEXT) FROM PUBLIC, anon, service_role;

-- statement
GRANT EXECUTE ON FUNCTION public.child_weeks(TEXT) TO authenticated;
