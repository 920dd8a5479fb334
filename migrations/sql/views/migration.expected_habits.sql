-- migration.expected_habits: the view's current definition, as the database holds it at head (revisions 0010, 0023; 0039 renamed the legacy table it reads to habit_tracker_old).
-- No revision runs this file: each runs its own frozen migration.expected_habits@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE VIEW migration.expected_habits AS
SELECT p.legacy_id, p.habit_id AS id, p.week_id, p.name, p.display_order
FROM migration.placement(ARRAY(SELECT h.id FROM public.habit_tracker_old AS h)) AS p
WHERE p.kind = 'habit';
