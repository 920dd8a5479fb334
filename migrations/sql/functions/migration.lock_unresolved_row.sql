-- migration.lock_unresolved_row: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0024; 0039 renamed its result type, the legacy table's row type, to habit_tracker_old; its body still names habit_tracker: retired since 0038, it fails if called).
-- No revision runs this file: each runs its own frozen migration.lock_unresolved_row@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.lock_unresolved_row(legacy_row_id BIGINT)
RETURNS public.habit_tracker_old  -- noqa: CP05
LANGUAGE plpgsql
AS $$
DECLARE
    h public.habit_tracker;
BEGIN
    -- The legacy row an operator decides on (assign, discard), locked until COMMIT: two
    -- decisions on one row run one after the other, and the app's write of it waits. Refused
    -- unless it is unresolved: a row placed, or discarded as it is, has nothing to decide.
    SELECT t.* INTO h FROM public.habit_tracker AS t WHERE t.id = legacy_row_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'MGQ01', MESSAGE = format('no legacy row %s', legacy_row_id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM migration.unresolved_legacy_rows AS u WHERE u.legacy_id = h.id) THEN
        RAISE EXCEPTION USING ERRCODE = 'MGQ02',
            MESSAGE = format('legacy row %s is not unresolved (not quarantined, or discarded as it is)', h.id);
    END IF;
    RETURN h;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.lock_unresolved_row(BIGINT) FROM PUBLIC;
