-- migration.table_checksum: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0037).
-- No revision runs this file: each runs its own frozen migration.table_checksum@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.table_checksum(tbl REGCLASS)
RETURNS TEXT
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
SET "TimeZone" = 'UTC'
SET "DateStyle" = 'ISO, YMD'
SET "IntervalStyle" = 'postgres'
SET extra_float_digits = '1'
SET bytea_output = 'hex'
AS $$
DECLARE
    result TEXT;
BEGIN
    -- Each row's text form is hashed, and the sorted hashes are hashed: the result depends on
    -- the multiset of rows only (not on physical order, a primary key or a collation), and
    -- memory holds 33 bytes a row. The SET clauses fix every setting a row's text depends on
    -- (timestamptz and date: TimeZone and DateStyle; interval, float, bytea), so the same
    -- rows give the same checksum in any session, after COPY out and in, and on 15 to 18.
    -- jsonb prints its canonical stored form (keys ordered, one spacing) whatever the input.
    EXECUTE format(
        'SELECT md5(coalesce(string_agg(h, E''\n'' ORDER BY h COLLATE "C"), '''')) FROM (SELECT md5(t::TEXT) AS h FROM %s AS t) AS r',
        tbl
    ) INTO result;
    RETURN result;
END;
$$;

-- statement
COMMENT ON FUNCTION migration.table_checksum(REGCLASS) IS
'Content checksum of a table: md5 of its rows'' md5(row::text), sorted, newline-joined; settings fixed (UTC, ISO). make archive-legacy, make restore-legacy and archive_matches() use it';

-- statement
REVOKE EXECUTE ON FUNCTION migration.table_checksum(REGCLASS) FROM PUBLIC;
