-- migration.expected_weeks (view): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is views/migration.expected_weeks.sql.

-- statement
CREATE VIEW migration.expected_weeks AS
SELECT p.legacy_id, p.week_id AS id, p.user_id, p.child_id, p.child_name, p.monday AS week_start_date,
       p.monday + 6 AS week_end_date, p.theme, p.reflection, p.reward, p.created_at, p.updated_at
FROM migration.placement(ARRAY(SELECT h.id FROM public.habit_tracker AS h)) AS p
WHERE p.kind = 'week';
