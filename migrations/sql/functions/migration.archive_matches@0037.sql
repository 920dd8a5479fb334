-- migration.archive_matches (function): the statements revision 0037_legacy_archive_log ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.archive_matches.sql.

-- statement
CREATE FUNCTION migration.archive_matches(tbl REGCLASS)
RETURNS BOOLEAN
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel_name TEXT;
    row_count BIGINT;
    rel_checksum TEXT;
BEGIN
    -- The name as make archive-legacy records it: schema-qualified, quoted where needed.
    SELECT format('%I.%I', n.nspname, c.relname) INTO rel_name
    FROM pg_class AS c INNER JOIN pg_namespace AS n ON c.relnamespace = n.oid
    WHERE c.oid = tbl;
    EXECUTE format('SELECT count(*) FROM %s', tbl) INTO row_count;
    rel_checksum := migration.table_checksum(tbl);
    RETURN EXISTS (
        SELECT 1 FROM migration.legacy_archives AS a
        WHERE a.tables -> rel_name ->> 'checksum' = rel_checksum
            AND (a.tables -> rel_name ->> 'rows')::BIGINT = row_count
    );
END;
$$;

-- statement
COMMENT ON FUNCTION migration.archive_matches(REGCLASS) IS
'Whether an archive recorded in migration.legacy_archives holds this table as it is now (same row count and table_checksum): what a drop must ask first';

-- statement
REVOKE EXECUTE ON FUNCTION migration.archive_matches(REGCLASS) FROM PUBLIC;
