-- migration.parse_week_period (function): the statements revision 0010_legacy_mapping ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.parse_week_period.sql.

-- statement
CREATE FUNCTION migration.parse_week_period(label TEXT)
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
