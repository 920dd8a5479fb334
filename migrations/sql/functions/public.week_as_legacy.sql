-- public.week_as_legacy: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0031).
-- No revision runs this file: each runs its own frozen public.week_as_legacy@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION public.week_as_legacy(child_name TEXT, week_start DATE)
RETURNS JSONB
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = ''
AS $$
BEGIN
    -- Weeks start on Monday (ck_weeks_start_monday). Another day is refused, not moved: a
    -- legacy Sunday start is a Korean Monday stored through UTC, so "the week holding it"
    -- would silently be the week before the one the app meant.
    IF extract(ISODOW FROM week_start) <> 1 THEN
        RAISE EXCEPTION 'week_start % is not a Monday', week_start
            USING ERRCODE = '22023',
                  HINT = format('Weeks start on Monday; the week holding %s starts on %s.', week_start,
                                week_start - (extract(ISODOW FROM week_start)::INTEGER - 1));
    END IF;
    -- The caller's own child, stated as well as enforced by RLS: the owner (BYPASSRLS) calling
    -- it without claims gets NULL, not someone's week.
    RETURN (
        SELECT jsonb_build_object(
            'child_name', c.name,
            'week_period', public.week_period_label(w.week_start_date),
            'theme', w.theme,
            'habits', coalesce((
                SELECT jsonb_agg(jsonb_build_object('id', h.id, 'name', h.name, 'times', (
                           -- times[i] is the status on week_start + i, as stored ('none' too: the
                           -- legacy rows hold it and the mapping keeps it); '' where there is no record.
                           SELECT jsonb_agg(coalesce(r.status, '') ORDER BY d.i)
                           FROM generate_series(0, 6) AS d (i)
                           LEFT JOIN public.habit_records AS r
                               ON r.habit_id = h.id AND r.record_date = w.week_start_date + d.i))
                       ORDER BY h.display_order, h.name)
                FROM public.habits AS h
                WHERE h.week_id = w.id), '[]'::JSONB),
            'reflection', w.reflection,
            'reward', w.reward,
            'week_start_date', w.week_start_date)
        FROM public.children AS c
        INNER JOIN public.weeks AS w ON w.child_id = c.id
        WHERE c.user_id = (SELECT auth.uid())
            AND c.name = week_as_legacy.child_name
            AND w.week_start_date = week_as_legacy.week_start
    );
END;
$$;

-- statement
COMMENT ON FUNCTION public.week_as_legacy(TEXT, DATE) IS
'The caller''s child''s Monday week in the shape of a habit_tracker row (revision 0031); NULL when there is none';

-- statement
REVOKE EXECUTE ON FUNCTION public.week_as_legacy(TEXT, DATE) FROM PUBLIC, anon, service_role;

-- statement
GRANT EXECUTE ON FUNCTION public.week_as_legacy(TEXT, DATE) TO authenticated;
