-- migration.week_label (function): the statements revision 0018_dual_write_functions ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.week_label.sql.

-- statement
CREATE FUNCTION migration.week_label(monday DATE)
RETURNS TEXT
LANGUAGE sql IMMUTABLE
AS $$
    SELECT extract(YEAR FROM monday)::INTEGER::TEXT || '년 ' || extract(MONTH FROM monday)::INTEGER::TEXT || '월 '
           || extract(DAY FROM monday)::INTEGER::TEXT || '일 ~ '
           || extract(YEAR FROM monday + 6)::INTEGER::TEXT || '년 ' || extract(MONTH FROM monday + 6)::INTEGER::TEXT
           || '월 ' || extract(DAY FROM monday + 6)::INTEGER::TEXT || '일'
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.week_label(DATE) FROM PUBLIC;
