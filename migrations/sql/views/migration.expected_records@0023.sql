-- migration.expected_records (view): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is views/migration.expected_records.sql.

-- statement
CREATE VIEW migration.expected_records AS
SELECT p.legacy_id, p.record_id AS id, p.habit_id, p.record_date, p.status
FROM migration.placement(ARRAY(SELECT h.id FROM public.habit_tracker AS h)) AS p
WHERE p.kind = 'record';
