-- migration.endpoint_delete_week: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0040).
-- No revision runs this file: each runs its own frozen migration.endpoint_delete_week@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.endpoint_delete_week(acting_user UUID, request JSONB)
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
