-- migration.expected_conflicts: the view's current definition, as the database holds it at head (revisions 0023; 0039 renamed the legacy table it reads to habit_tracker_old).
-- No revision runs this file: each runs its own frozen migration.expected_conflicts@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE VIEW migration.expected_conflicts AS
SELECT p.user_id, p.child_name, p.monday, p.week_id, p.legacy_id, p.field, p.name AS habit_name, p.record_date,
       p.lost_value, p.kept_value, p.kept_legacy_id
FROM migration.placement(ARRAY(SELECT h.id FROM public.habit_tracker_old AS h)) AS p
WHERE p.kind = 'conflict';
