-- migration.frozen_delete_week: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0038).
-- No revision runs this file: each runs its own frozen migration.frozen_delete_week@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.frozen_delete_week(acting_user UUID, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    target_id BIGINT := migration.frozen_find_week(acting_user, request);
    target RECORD;
    child_key UUID;
    week RECORD;
BEGIN
    SELECT l.* INTO target FROM migration.live_legacy_rows AS l WHERE l.legacy_id = target_id;
    INSERT INTO migration.frozen_rows (legacy_id, user_id, child_name, week_start_date, week_period, habits, state)
    VALUES (target_id, target.user_id, target.child_name, target.start_date, target.week_period,
            coalesce(target.habits, '[]'), 'deleted')
    ON CONFLICT (legacy_id) DO UPDATE SET state = 'deleted', changed_at = now();
    SELECT c.id INTO child_key FROM public.children AS c WHERE c.user_id = acting_user AND c.name = target.child_name;

    -- In each Monday week its seven days fall in: the week goes when no live row of the child
    -- has a day in it any more; otherwise its days go where no other live row holding that
    -- habit covers the date (a day two rows shared keeps its status), and a habit of its own
    -- that no other live row of the week holds goes with its records.
    FOR week IN
        SELECT w.id, w.week_start_date AS monday
        FROM public.weeks AS w
        WHERE w.child_id = child_key
            AND w.week_start_date IN (migration.monday_of(target.start_date), migration.monday_of(target.start_date + 6))
    LOOP
        INSERT INTO migration.frozen_writes (user_id, child_name, monday, legacy_id, operation)
        VALUES (acting_user, target.child_name, week.monday, target_id, 'delete_week');
        IF NOT EXISTS (SELECT 1 FROM migration.live_legacy_rows AS l
                       WHERE l.user_id = acting_user AND l.child_name = target.child_name
                           AND l.start_date BETWEEN week.monday - 6 AND week.monday + 6) THEN
            DELETE FROM public.weeks AS w WHERE w.id = week.id;
            CONTINUE;
        END IF;
        DELETE FROM public.habit_records AS r
        USING public.habits AS h
        WHERE r.habit_id = h.id AND h.week_id = week.id
            AND h.name IN (SELECT e.element ->> 'name' FROM migration.habit_elements(target.habits) AS e)
            AND r.record_date BETWEEN target.start_date AND target.start_date + 6
            AND NOT EXISTS (SELECT 1 FROM migration.live_legacy_rows AS l, migration.habit_elements(l.habits) AS e
                            WHERE l.user_id = acting_user AND l.child_name = target.child_name
                                AND r.record_date BETWEEN l.start_date AND l.start_date + 6
                                AND e.element ->> 'name' = h.name);
        DELETE FROM public.habits AS h
        WHERE h.week_id = week.id
            AND h.name IN (SELECT e.element ->> 'name' FROM migration.habit_elements(target.habits) AS e)
            AND NOT EXISTS (SELECT 1 FROM migration.live_legacy_rows AS l, migration.habit_elements(l.habits) AS e
                            WHERE l.user_id = acting_user AND l.child_name = target.child_name
                                AND l.start_date BETWEEN week.monday - 6 AND week.monday + 6
                                AND e.element ->> 'name' = h.name);
    END LOOP;
    -- A child left with no week goes too, as the mapping removes it.
    DELETE FROM public.children AS c
    WHERE c.id = child_key AND NOT EXISTS (SELECT 1 FROM public.weeks AS w WHERE w.child_id = c.id);
    RETURN jsonb_build_object('status', 200,
                              'body', jsonb_build_object('operation', 'delete_week', 'legacy_id', target_id,
                                                         'deleted', TRUE));
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.frozen_delete_week(UUID, JSONB) FROM PUBLIC;
