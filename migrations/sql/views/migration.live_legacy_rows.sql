-- migration.live_legacy_rows: the view's current definition, as the database holds it at head (revisions 0038; 0039 renamed the legacy table it reads to habit_tracker_old).
-- No revision runs this file: each runs its own frozen migration.live_legacy_rows@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE VIEW migration.live_legacy_rows AS
-- The legacy rows as the app knows them while habit_tracker is frozen: its rows but those
-- deleted since the freeze, and the weeks created since (each with the legacy id reserved for
-- it). The frozen endpoint names a week by them, as the legacy one named a row.
SELECT
    h.id AS legacy_id, h.user_id, h.child_name, migration.week_start(h) AS start_date, h.week_start_date,
    h.week_period, h.habits, FALSE AS created_while_frozen
FROM public.habit_tracker_old AS h
WHERE NOT EXISTS (SELECT 1 FROM migration.frozen_rows AS f WHERE f.legacy_id = h.id)
UNION ALL
SELECT
    f.legacy_id, f.user_id, f.child_name, f.week_start_date AS start_date, f.week_start_date, f.week_period, f.habits,
    TRUE AS created_while_frozen
FROM migration.frozen_rows AS f
WHERE f.state = 'created';
