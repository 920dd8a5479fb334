-- migration.expected_records (view): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is views/migration.expected_records.sql.

-- statement
CREATE VIEW migration.expected_records AS
SELECT m.*
FROM migration.classified_legacy_rows AS c
CROSS JOIN LATERAL migration.map_records(c.legacy_id, c.monday, (c.legacy).habits) AS m
WHERE c.reason IS NULL;
