-- migration.classified_legacy_rows (view): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is views/migration.classified_legacy_rows.sql.

-- statement
CREATE VIEW migration.classified_legacy_rows AS
SELECT h AS legacy, h.id AS legacy_id, migration.week_start(h) AS start_date, p.reason, p.detail
FROM public.habit_tracker AS h
LEFT JOIN LATERAL migration.row_problem(h) AS p ON TRUE;
