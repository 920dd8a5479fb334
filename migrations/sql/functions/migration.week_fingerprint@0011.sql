-- migration.week_fingerprint (function): the statements revision 0011_sync_state ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.week_fingerprint.sql.

-- statement
CREATE FUNCTION migration.week_fingerprint(
    child_id UUID, user_id UUID, week_start_date DATE, week_end_date DATE, theme TEXT, reflection JSONB,
    reward TEXT, habit_lines TEXT, record_lines TEXT
)
RETURNS UUID
LANGUAGE sql STABLE
AS $$
    SELECT md5(format('%s|%s|%s|%s|%L|%L|%L|%L|%L', child_id, user_id, week_start_date, week_end_date, theme,
                      reflection, reward, habit_lines, record_lines))::UUID
$$;
