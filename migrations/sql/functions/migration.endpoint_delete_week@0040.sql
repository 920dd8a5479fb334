-- migration.endpoint_delete_week (function): the statements revision 0040_drop_legacy ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.endpoint_delete_week.sql.

-- statement
CREATE FUNCTION migration.endpoint_delete_week(acting_user UUID, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    target RECORD;
BEGIN
    SELECT f.child_key, f.week_key INTO target FROM migration.endpoint_find_week(acting_user, request, TRUE) AS f;
    -- Its habits and their records go with it (fk_habits_week_id, fk_habit_records_habit_id:
    -- ON DELETE CASCADE).
    DELETE FROM public.weeks AS w WHERE w.id = target.week_key;
    -- A child left with no week goes too, as the frozen endpoint (0038) and the mapping removed
    -- it, so public.my_children() lists what it listed before the drop; not one a habit template
    -- names (the template would go with it).
    DELETE FROM public.children AS c
    WHERE c.id = target.child_key
        AND NOT EXISTS (SELECT 1 FROM public.weeks AS w WHERE w.child_id = c.id)
        AND NOT EXISTS (SELECT 1 FROM public.habit_templates AS t WHERE t.child_id = c.id);
    RETURN jsonb_build_object('status', 200,
                              'body', jsonb_build_object('operation', 'delete_week', 'legacy_id', NULL,
                                                         'deleted', TRUE));
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.endpoint_delete_week(UUID, JSONB) FROM PUBLIC;
