-- migration.expected_records: the view's current definition, as the database holds it at head (revisions 0010).
-- No revision runs this file: each runs its own frozen migration.expected_records@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE VIEW migration.expected_records AS
SELECT m.*
FROM migration.classified_legacy_rows AS c
CROSS JOIN LATERAL migration.map_records(c.legacy_id, c.monday, (c.legacy).habits) AS m
WHERE c.reason IS NULL;
