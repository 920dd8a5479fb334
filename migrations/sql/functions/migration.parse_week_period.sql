-- migration.parse_week_period: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0010, 0019).
-- No revision runs this file: each runs its own frozen migration.parse_week_period@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.parse_week_period(label TEXT)
RETURNS DATE
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    parts TEXT[] := regexp_match(label, '^\s*(\d{4})년\s*(\d{1,2})월\s*(\d{1,2})일');
BEGIN
    IF parts IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN make_date(parts[1]::INTEGER, parts[2]::INTEGER, parts[3]::INTEGER);
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format OR numeric_value_out_of_range THEN
    RETURN NULL;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.parse_week_period(TEXT) FROM PUBLIC;
