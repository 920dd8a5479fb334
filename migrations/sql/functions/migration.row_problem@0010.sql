-- migration.row_problem (function): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.row_problem.sql.

-- statement
CREATE FUNCTION migration.row_problem(h public.habit_tracker)  -- noqa: CP05
RETURNS TABLE (reason TEXT, detail TEXT)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    monday DATE;
    claimed_by BIGINT;
BEGIN
    RETURN QUERY SELECT p.reason, p.detail FROM migration.local_problem(h) AS p;
    IF FOUND THEN
        RETURN;
    END IF;
    -- Only one clean legacy row may claim a child-week: the oldest.
    monday := migration.week_start(h);
    SELECT min(o.id) INTO claimed_by
    FROM public.habit_tracker AS o
    WHERE o.user_id = h.user_id AND o.child_name = h.child_name AND o.id < h.id
        AND (o.week_start_date IN (monday, monday - 1) OR o.week_start_date IS NULL)
        AND migration.week_start(o) = monday
        AND NOT EXISTS (SELECT 1 FROM migration.local_problem(o));
    IF claimed_by IS NOT NULL THEN
        RETURN QUERY SELECT 'duplicate_week', format('legacy row %s already maps to this child and week', claimed_by);
    END IF;
END;
$$;
