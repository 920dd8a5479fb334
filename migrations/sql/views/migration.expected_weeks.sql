-- migration.expected_weeks: the view's current definition, as the database holds it at head (revisions 0010, 0023; 0039 renamed the legacy table it reads to habit_tracker_old).
-- No revision runs this file: each runs its own frozen migration.expected_weeks@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE VIEW migration.expected_weeks AS
SELECT p.legacy_id, p.week_id AS id, p.user_id, p.child_id, p.child_name, p.monday AS week_start_date,
       p.monday + 6 AS week_end_date, p.theme, p.reflection, p.reward, p.created_at, p.updated_at
FROM migration.placement(ARRAY(SELECT h.id FROM public.habit_tracker_old AS h)) AS p
WHERE p.kind = 'week';
