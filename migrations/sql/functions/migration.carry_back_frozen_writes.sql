-- migration.carry_back_frozen_writes: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0038).
-- No revision runs this file: each runs its own frozen migration.carry_back_frozen_writes@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.carry_back_frozen_writes()
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
DECLARE
    touched RECORD;
    shape JSONB;
    written BIGINT[] := '{}';
    changed BIGINT[];
    touched_children UUID[] := ARRAY(SELECT DISTINCT migration.child_id(f.user_id, f.child_name)
                             FROM migration.frozen_writes AS f);
BEGIN
    -- The downgrade's: what the app wrote to the new tables while habit_tracker was frozen,
    -- written back into it (the freeze trigger is gone, the sync trigger not yet back). Rows
    -- deleted while frozen go; weeks created while frozen become rows under their reserved ids.
    DELETE FROM public.habit_tracker AS h
    USING migration.frozen_rows AS f
    WHERE f.legacy_id = h.id AND f.state = 'deleted';
    INSERT INTO public.habit_tracker (id, child_name, week_period, week_start_date, habits, user_id, theme, reflection,
                                      reward)
    SELECT f.legacy_id, f.child_name, f.week_period, f.week_start_date, f.habits, f.user_id, f.theme, f.reflection,
           f.reward
    FROM migration.frozen_rows AS f
    WHERE f.state = 'created';

    -- Each child-week a frozen write touched, as the read function gives it (the one
    -- new -> legacy shape: public.week_as_legacy(), called as its owner would be), goes back
    -- day by day into every live row of the child whose seven days cover the date, in the
    -- habits of that name it holds: rows that share a date then agree on it (no conflict), and
    -- a day the tables no longer hold is emptied in each. A week gone (deleted while frozen)
    -- empties its days in the rows left.
    FOR touched IN SELECT DISTINCT f.user_id, f.child_name, f.monday FROM migration.frozen_writes AS f LOOP
        PERFORM set_config('request.jwt.claims', jsonb_build_object('sub', touched.user_id, 'role', 'authenticated')::TEXT,
                           TRUE);
        shape := public.week_as_legacy(touched.child_name, touched.monday);
        WITH rewritten AS (
            UPDATE public.habit_tracker AS h
            SET habits = (
                SELECT jsonb_agg(CASE
                    WHEN jsonb_typeof(e.element) = 'object' AND jsonb_typeof(e.element -> 'times') IN ('array', 'null')
                        THEN jsonb_set(e.element, '{times}', (
                            SELECT jsonb_agg(CASE
                                WHEN migration.monday_of(s.start_date + d.i) = touched.monday
                                    THEN coalesce((SELECT x -> 'times' -> (s.start_date + d.i - touched.monday)
                                                   FROM jsonb_array_elements(shape -> 'habits') AS x
                                                   WHERE x ->> 'name' = e.element ->> 'name' LIMIT 1), '""')
                                ELSE coalesce(e.element -> 'times' -> d.i, '""') END ORDER BY d.i)
                            FROM generate_series(0, greatest(6, CASE WHEN jsonb_typeof(e.element -> 'times') = 'array'
                                                                     THEN jsonb_array_length(e.element -> 'times') - 1
                                                                     ELSE 0 END)) AS d (i)))
                    ELSE e.element END ORDER BY e.pos)
                FROM migration.habit_elements(h.habits) AS e)
            FROM (SELECT x.id, migration.week_start(x) AS start_date FROM public.habit_tracker AS x
                  WHERE x.user_id = touched.user_id AND x.child_name = touched.child_name) AS s
            WHERE h.id = s.id AND s.start_date BETWEEN touched.monday - 6 AND touched.monday + 6
                AND jsonb_typeof(h.habits) = 'array'
                AND NOT EXISTS (SELECT 1 FROM migration.local_problem(h))
            RETURNING h.id
        )
        SELECT array_agg(r.id) INTO changed FROM rewritten AS r;
        written := written || coalesce(changed, '{}');
    END LOOP;
    PERFORM set_config('request.jwt.claims', '', TRUE);

    -- What the app wrote while frozen is the mapping's again: the sync below places these
    -- child-weeks whole from the rows (as dual-write does, 'dual_write'), under the mapping's ids.
    UPDATE public.weeks AS w SET source_version = 'dual_write'
    FROM (SELECT DISTINCT f.user_id, f.child_name, f.monday FROM migration.frozen_writes AS f) AS k
    WHERE w.child_id = migration.child_id(k.user_id, k.child_name) AND w.week_start_date = k.monday
        AND w.source_version = 'new_schema';
    UPDATE public.children AS c SET source_version = 'dual_write'
    WHERE c.id = ANY(touched_children) AND c.source_version = 'new_schema';
    PERFORM migration.sync_legacy_rows(
        ARRAY(SELECT DISTINCT x.id FROM unnest(written || ARRAY(SELECT f.legacy_id FROM migration.frozen_writes AS f))
                                         AS x (id)),
        'dual_write', touched_children);
    RETURN cardinality(ARRAY(SELECT DISTINCT unnest(written)));
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.carry_back_frozen_writes() FROM PUBLIC;
