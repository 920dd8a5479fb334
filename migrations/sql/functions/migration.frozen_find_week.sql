-- migration.frozen_find_week: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0038, 0039).
-- No revision runs this file: each runs its own frozen migration.frozen_find_week@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.frozen_find_week(acting_user UUID, request JSONB)
RETURNS BIGINT
LANGUAGE plpgsql
AS $$
DECLARE
    child TEXT := request ->> 'child_name';
    named_start DATE := (request ->> 'week_start_date')::DATE;
    found_id BIGINT;
BEGIN
    -- migration.dual_write_find_week()'s rule over the live rows (migration.live_legacy_rows):
    -- the app names a week by its child and its own first day; of two with the same start, one
    -- holding the named habit, then a clean one, then the older. Writes of one child name are
    -- serialized (as the legacy table's row locks and unique index did).
    PERFORM pg_advisory_xact_lock(hashtextextended('migration.frozen_child/' || child, 0));
    SELECT l.legacy_id INTO found_id
    FROM migration.live_legacy_rows AS l
    WHERE l.user_id = acting_user AND l.child_name = child
        AND (l.week_start_date = named_start OR l.week_start_date IS NULL)
        AND l.start_date = named_start
    ORDER BY EXISTS (SELECT 1 FROM migration.habit_elements(l.habits) AS e
                     WHERE e.element ->> 'name' = request ->> 'habit_name') DESC,
             EXISTS (SELECT 1 FROM public.habit_tracker_old AS h, migration.local_problem(h) AS p
                     WHERE h.id = l.legacy_id), l.legacy_id
    LIMIT 1;
    IF found_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT404', DETAIL = 'week_not_found',
            MESSAGE = format('no week of %L starting %s', child, named_start);
    END IF;
    RETURN found_id;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.frozen_find_week(UUID, JSONB) FROM PUBLIC;
