-- public.child_weeks: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0031).
-- No revision runs this file: each runs its own frozen public.child_weeks@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION public.child_weeks(child_name TEXT)
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
