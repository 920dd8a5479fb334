-- migration.expected_habits (view): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is views/migration.expected_habits.sql.

-- statement
CREATE VIEW migration.expected_habits AS
SELECT m.*
FROM migration.classified_legacy_rows AS c
CROSS JOIN LATERAL migration.map_habits(c.legacy_id, (c.legacy).habits) AS m
WHERE c.reason IS NULL;
