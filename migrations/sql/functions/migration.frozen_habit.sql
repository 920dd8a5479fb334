-- migration.frozen_habit: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0038).
-- No revision runs this file: each runs its own frozen migration.frozen_habit@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.frozen_habit(week UUID, habit_name TEXT, legacy_id BIGINT, pos INTEGER, starts_here BOOLEAN,
                                       monday DATE)
RETURNS UUID
LANGUAGE plpgsql
AS $$
DECLARE
    habit_key UUID;
BEGIN
    -- Habits merge by name: an existing habit keeps its id (links to it survive every write).
    SELECT h.id INTO habit_key FROM public.habits AS h WHERE h.week_id = week AND h.name = habit_name;
    IF NOT FOUND THEN
        habit_key := CASE WHEN starts_here THEN migration.habit_id(legacy_id, pos)
                      ELSE md5('habit_tracker/habit/' || legacy_id::TEXT || '/' || pos::TEXT || '/'
                               || monday::TEXT)::UUID END;
        INSERT INTO public.habits (id, week_id, name, display_order)
        VALUES (habit_key, week, habit_name,
                coalesce((SELECT max(h.display_order) + 1 FROM public.habits AS h WHERE h.week_id = week), 0));
    END IF;
    RETURN habit_key;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.frozen_habit(UUID, TEXT, BIGINT, INTEGER, BOOLEAN, DATE) FROM PUBLIC;
