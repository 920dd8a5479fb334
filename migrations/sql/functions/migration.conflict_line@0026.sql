-- migration.conflict_line (function): the statements revision 0026_placed_conflicts_hash ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.conflict_line.sql.

-- statement
CREATE FUNCTION migration.conflict_line(legacy_id BIGINT, field TEXT, habit_name TEXT, record_date DATE,  -- noqa: CP05
                                        lost_value JSONB, kept_value JSONB, kept_legacy_id BIGINT)
RETURNS TEXT
LANGUAGE sql IMMUTABLE
AS $$ SELECT format('%s %s %L %s %L %L %s', legacy_id, field, habit_name, record_date, lost_value, kept_value,
                    kept_legacy_id) $$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.conflict_line(BIGINT, TEXT, TEXT, DATE, JSONB, JSONB, BIGINT)  -- noqa: CP05
FROM PUBLIC;
