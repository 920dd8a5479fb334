-- migration.expected_children: the view's current definition, as the database holds it at head (revisions 0010, 0023).
-- No revision runs this file: each runs its own frozen migration.expected_children@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE VIEW migration.expected_children AS
SELECT w.child_id AS id, w.user_id, w.child_name AS name, min(w.created_at) AS created_at
FROM migration.expected_weeks AS w
GROUP BY w.child_id, w.user_id, w.child_name;
