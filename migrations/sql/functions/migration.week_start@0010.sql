-- migration.week_start (function): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.week_start.sql.

-- statement
CREATE FUNCTION migration.week_start(h public.habit_tracker)  -- noqa: CP05
RETURNS DATE
LANGUAGE sql STABLE
AS $$
    SELECT CASE
        WHEN h.week_start_date IS NULL THEN migration.parse_week_period(h.week_period)
        WHEN extract(DOW FROM h.week_start_date) = 0 AND migration.repair_sunday_starts()
            THEN h.week_start_date + 1
        ELSE h.week_start_date
    END
$$;
