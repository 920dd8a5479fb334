-- migration.expected_weeks: the view's current definition, as the database holds it at head (revisions 0010).
-- No revision runs this file: each runs its own frozen migration.expected_weeks@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE VIEW migration.expected_weeks AS
SELECT w.*
FROM migration.classified_legacy_rows AS c
CROSS JOIN LATERAL migration.map_week(c.legacy, c.monday) AS w
WHERE c.reason IS NULL;
