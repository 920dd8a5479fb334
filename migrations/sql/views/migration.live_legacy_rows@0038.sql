-- migration.live_legacy_rows (view): the statements revision 0038_freeze_legacy ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is views/migration.live_legacy_rows.sql.

-- statement
CREATE VIEW migration.live_legacy_rows AS
-- The legacy rows as the app knows them while habit_tracker is frozen: its rows but those
-- deleted since the freeze, and the weeks created since (each with the legacy id reserved for
-- it). The frozen endpoint names a week by them, as the legacy one named a row.
SELECT
    h.id AS legacy_id, h.user_id, h.child_name, migration.week_start(h) AS start_date, h.week_start_date,
    h.week_period, h.habits, FALSE AS created_while_frozen
FROM public.habit_tracker AS h
WHERE NOT EXISTS (SELECT 1 FROM migration.frozen_rows AS f WHERE f.legacy_id = h.id)
UNION ALL
SELECT
    f.legacy_id, f.user_id, f.child_name, f.week_start_date AS start_date, f.week_start_date, f.week_period, f.habits,
    TRUE AS created_while_frozen
FROM migration.frozen_rows AS f
WHERE f.state = 'created';
