-- migration.frozen_week (function): the statements revision 0038_freeze_legacy ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.frozen_week.sql.

-- statement
CREATE FUNCTION migration.frozen_week(acting_user UUID, child TEXT, monday DATE, legacy_id BIGINT, start_date DATE,
                                      fields JSONB)
RETURNS UUID
LANGUAGE plpgsql
AS $$
DECLARE
    child_key UUID;
    week_key UUID;
BEGIN
    -- The child and its Monday week, made when missing (source_version stays the column's
    -- default, 'new_schema': written by the app after the freeze). Ids as the mapping gives
    -- them (0023), so a rollback that carries the week back finds it under the same id.
    SELECT c.id INTO child_key FROM public.children AS c WHERE c.user_id = acting_user AND c.name = child;
    IF NOT FOUND THEN
        child_key := migration.child_id(acting_user, child);
        INSERT INTO public.children (id, user_id, name) VALUES (child_key, acting_user, child);
    END IF;
    SELECT w.id INTO week_key FROM public.weeks AS w WHERE w.child_id = child_key AND w.week_start_date = monday;
    IF NOT FOUND THEN
        week_key := CASE WHEN start_date = monday THEN migration.week_id(legacy_id)
                      ELSE md5('habit_tracker/week/' || child_key::TEXT || '/' || monday::TEXT)::UUID END;
        INSERT INTO public.weeks (id, user_id, child_id, week_start_date, week_end_date, theme, reflection, reward)
        VALUES (week_key, acting_user, child_key, monday, monday + 6, fields ->> 'theme',
                nullif(fields -> 'reflection', 'null'::JSONB), fields ->> 'reward');
    ELSIF fields IS NOT NULL AND start_date = monday THEN
        -- A week starting on its Monday gives the week its fields, as in the mapping; the row's
        -- provenance (source_version) is left as it is.
        UPDATE public.weeks AS w
        SET theme = fields ->> 'theme', reflection = nullif(fields -> 'reflection', 'null'::JSONB),
            reward = fields ->> 'reward'
        WHERE w.id = week_key;
    END IF;
    RETURN week_key;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.frozen_week(UUID, TEXT, DATE, BIGINT, DATE, JSONB) FROM PUBLIC;
