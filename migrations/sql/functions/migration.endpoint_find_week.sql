-- migration.endpoint_find_week: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0040).
-- No revision runs this file: each runs its own frozen migration.endpoint_find_week@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.endpoint_find_week(acting_user UUID, request JSONB, must_exist BOOLEAN)
RETURNS TABLE (child_key UUID, week_key UUID)
LANGUAGE plpgsql
AS $$
DECLARE
    child TEXT := request ->> 'child_name';
    named_start DATE := (request ->> 'week_start_date')::DATE;
    monday DATE := named_start - (extract(ISODOW FROM named_start)::INTEGER - 1);
BEGIN
    -- A week is the acting user's child (by name) and its Monday, as the new tables name it.
    -- Another day is refused, not moved, as public.week_as_legacy() refuses it: the front end
    -- reads Monday weeks only since the read switch reached 100%.
    IF named_start <> monday THEN
        PERFORM migration.endpoint_refuse('not_monday', format(
            'week_start_date %s is not a Monday; weeks start on Monday: the week holding %s starts on %s',
            named_start, named_start, monday), NULL);
    END IF;
    -- Writes of one user's child are serialized (the new tables' uniques are deferrable, so no
    -- ON CONFLICT: each write reads, then inserts).
    PERFORM pg_advisory_xact_lock(hashtextextended('migration.endpoint_child/' || acting_user::TEXT || '/' || child, 0));
    -- Both NULL: no such child; week_key NULL: the child has no week on that Monday, which
    -- an update or a delete (must_exist) does not find.
    SELECT c.id, w.id INTO child_key, week_key
    FROM public.children AS c
    LEFT JOIN public.weeks AS w ON c.id = w.child_id AND w.week_start_date = monday
    WHERE c.user_id = acting_user AND c.name = child;
    IF must_exist AND week_key IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT404', DETAIL = 'week_not_found',
            MESSAGE = format('no week of %L starting %s', child, named_start);
    END IF;
    RETURN NEXT;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.endpoint_find_week(UUID, JSONB, BOOLEAN) FROM PUBLIC;
