-- migration.classified_legacy_rows: the view's current definition, as the database holds it at head (revisions 0010, 0023; 0039 renamed the legacy table it reads to habit_tracker_old).
-- No revision runs this file: each runs its own frozen migration.classified_legacy_rows@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE VIEW migration.classified_legacy_rows AS
SELECT h AS legacy, h.id AS legacy_id, migration.week_start(h) AS start_date, p.reason, p.detail
FROM public.habit_tracker_old AS h
LEFT JOIN LATERAL migration.row_problem(h) AS p ON TRUE;
