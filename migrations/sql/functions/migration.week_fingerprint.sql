-- migration.week_fingerprint: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0011, 0019).
-- No revision runs this file: each runs its own frozen migration.week_fingerprint@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.week_fingerprint(
    child_id UUID, user_id UUID, week_start_date DATE, week_end_date DATE, theme TEXT, reflection JSONB,
    reward TEXT, habit_lines TEXT, record_lines TEXT
)
RETURNS UUID
LANGUAGE sql STABLE
AS $$
    SELECT md5(format('%s|%s|%s|%s|%L|%L|%L|%L|%L', child_id, user_id, week_start_date, week_end_date, theme,
                      reflection, reward, habit_lines, record_lines))::UUID
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.week_fingerprint(UUID, UUID, DATE, DATE, TEXT, JSONB, TEXT, TEXT, TEXT) FROM PUBLIC;
