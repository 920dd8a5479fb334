-- migration.expected_conflicts (view): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is views/migration.expected_conflicts.sql.

-- statement
CREATE VIEW migration.expected_conflicts AS
SELECT p.user_id, p.child_name, p.monday, p.week_id, p.legacy_id, p.field, p.name AS habit_name, p.record_date,
       p.lost_value, p.kept_value, p.kept_legacy_id
FROM migration.placement(ARRAY(SELECT h.id FROM public.habit_tracker AS h)) AS p
WHERE p.kind = 'conflict';
