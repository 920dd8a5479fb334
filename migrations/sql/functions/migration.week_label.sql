-- migration.week_label: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0018).
-- No revision runs this file: each runs its own frozen migration.week_label@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.week_label(monday DATE)
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
