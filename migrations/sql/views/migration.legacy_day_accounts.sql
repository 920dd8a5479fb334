-- migration.legacy_day_accounts: the view's current definition, as the database holds it at head (revisions 0024; 0039 renamed the legacy table it reads to habit_tracker_old).
-- No revision runs this file: each runs its own frozen migration.legacy_day_accounts@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE VIEW migration.legacy_day_accounts AS
-- Where every filled day of every legacy row is (the invariant of issue #19):
--   stranded:    its row is unresolved (quarantined, no decision);
--   discarded:   its row is quarantined and archived, as it is now, by an operator;
--   placed:      a record of the new tables on its own date: the row's child, the Monday week
--                of that date, a habit of that name, that date, that status;
--   conflict:    a losing value recorded by the merge (placement_conflicts), same day;
--   in_flight:   none of those, but a write of its row waits in the sync queue;
--   unaccounted: none of those: lost, unless the sync runs again (`make resync`).
SELECT h.id AS legacy_id, h.user_id, h.child_name, d.habit_pos, d.habit_name, d.day, d.record_date, d.status,
       CASE
           WHEN u.legacy_id IS NOT NULL THEN 'stranded'
           WHEN q.legacy_id IS NOT NULL THEN 'discarded'
           WHEN EXISTS (
               SELECT 1
               FROM public.weeks AS w
               INNER JOIN public.habits AS hb ON w.id = hb.week_id
               INNER JOIN public.habit_records AS r ON hb.id = r.habit_id
               WHERE w.child_id = migration.child_id(h.user_id, h.child_name)
                   AND w.week_start_date = migration.monday_of(d.record_date)
                   AND hb.name = d.habit_name AND r.record_date = d.record_date AND r.status = d.status
           ) THEN 'placed'
           WHEN EXISTS (
               SELECT 1 FROM migration.placement_conflicts AS c
               WHERE c.legacy_id = h.id AND c.field = 'status' AND c.habit_name = d.habit_name
                   AND c.record_date = d.record_date AND c.lost_value = to_jsonb(d.status)
           ) THEN 'conflict'
           WHEN EXISTS (SELECT 1 FROM migration.sync_queue AS s WHERE s.legacy_id = h.id) THEN 'in_flight'
           ELSE 'unaccounted'
       END AS account
FROM public.habit_tracker_old AS h
CROSS JOIN LATERAL migration.filled_days(h) AS d
LEFT JOIN migration.backfill_quarantine AS q ON h.id = q.legacy_id
LEFT JOIN migration.unresolved_legacy_rows AS u ON h.id = u.legacy_id;
