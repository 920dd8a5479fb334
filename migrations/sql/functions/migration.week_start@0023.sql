-- migration.week_start (function): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.week_start.sql.

-- statement
CREATE OR REPLACE FUNCTION migration.week_start(h public.habit_tracker)  -- noqa: CP05
RETURNS DATE
LANGUAGE sql STABLE
AS $$
    -- The legacy row's first day: its week_start_date, else the date its label begins with.
    -- Any day of the week: each filled day is placed on its own date (migration.placement()).
    SELECT coalesce(h.week_start_date, migration.parse_week_period(h.week_period))
$$;
