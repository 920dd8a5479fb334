-- migration.conflict_line: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0026).
-- No revision runs this file: each runs its own frozen migration.conflict_line@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.conflict_line(legacy_id BIGINT, field TEXT, habit_name TEXT, record_date DATE,  -- noqa: CP05
                                        lost_value JSONB, kept_value JSONB, kept_legacy_id BIGINT)
RETURNS TEXT
LANGUAGE sql IMMUTABLE
AS $$ SELECT format('%s %s %L %s %L %L %s', legacy_id, field, habit_name, record_date, lost_value, kept_value,
                    kept_legacy_id) $$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.conflict_line(BIGINT, TEXT, TEXT, DATE, JSONB, JSONB, BIGINT)  -- noqa: CP05
FROM PUBLIC;
