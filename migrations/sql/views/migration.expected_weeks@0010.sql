-- migration.expected_weeks (view): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is views/migration.expected_weeks.sql.

-- statement
CREATE VIEW migration.expected_weeks AS
SELECT w.*
FROM migration.classified_legacy_rows AS c
CROSS JOIN LATERAL migration.map_week(c.legacy, c.monday) AS w
WHERE c.reason IS NULL;
