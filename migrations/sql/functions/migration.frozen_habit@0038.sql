-- migration.frozen_habit (function): the statements revision 0038_freeze_legacy ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.frozen_habit.sql.

-- statement
CREATE FUNCTION migration.frozen_habit(week UUID, habit_name TEXT, legacy_id BIGINT, pos INTEGER, starts_here BOOLEAN,
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
