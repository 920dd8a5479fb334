-- public.week_period_label (function): the statements revision 0031_read_as_legacy ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/public.week_period_label.sql.

-- statement
CREATE FUNCTION public.week_period_label(monday DATE)
RETURNS TEXT
LANGUAGE sql IMMUTABLE
SET search_path = ''
AS $$
    -- The legacy week_period of the week starting `monday`: `2025년 7월 21일 ~ 2025년 7월 27일`,
    -- no zero padding, end = start + 6 (SCHEMA_FACTS §1).
    SELECT format('%s년 %s월 %s일 ~ %s년 %s월 %s일',
                  extract(YEAR FROM monday)::INTEGER, extract(MONTH FROM monday)::INTEGER,
                  extract(DAY FROM monday)::INTEGER, extract(YEAR FROM monday + 6)::INTEGER,
                  extract(MONTH FROM monday + 6)::INTEGER, extract(DAY FROM monday + 6)::INTEGER)
$$;

-- statement
COMMENT ON FUNCTION public.week_period_label(DATE) IS
'The legacy habit_tracker.week_period label of the week starting on the given day (revision 0031)';

-- statement
REVOKE EXECUTE ON FUNCTION public.week_period_label(DATE) FROM PUBLIC, anon, service_role;

-- statement
GRANT EXECUTE ON FUNCTION public.week_period_label(DATE) TO authenticated;
