-- migration.expected_children (view): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is views/migration.expected_children.sql.

-- statement
CREATE VIEW migration.expected_children AS
SELECT w.child_id AS id, w.user_id, w.child_name AS name, min(w.created_at) AS created_at
FROM migration.expected_weeks AS w
GROUP BY w.child_id, w.user_id, w.child_name;
