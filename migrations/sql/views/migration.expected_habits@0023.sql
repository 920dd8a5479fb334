-- migration.expected_habits (view): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is views/migration.expected_habits.sql.

-- statement
CREATE VIEW migration.expected_habits AS
SELECT p.legacy_id, p.habit_id AS id, p.week_id, p.name, p.display_order
FROM migration.placement(ARRAY(SELECT h.id FROM public.habit_tracker AS h)) AS p
WHERE p.kind = 'habit';
