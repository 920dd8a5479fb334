-- migration.refuse_legacy_truncate: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0020).
-- No revision runs this file: each runs its own frozen migration.refuse_legacy_truncate@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.refuse_legacy_truncate()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'object_not_in_prerequisite_state',
        MESSAGE = format('TRUNCATE %s is refused while dual-write keeps the new tables in step', TG_TABLE_NAME),
        DETAIL = 'TRUNCATE fires no row trigger: nothing would be queued, and the new tables would keep every week.',
        HINT = 'DELETE the rows instead (each deletion is queued and synced).';
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.refuse_legacy_truncate() FROM PUBLIC;
