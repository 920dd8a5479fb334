-- migration.dual_write_delete_week (function): the statements revision 0018_dual_write_functions ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.dual_write_delete_week.sql.

-- statement
CREATE FUNCTION migration.dual_write_delete_week(acting_user UUID, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    target_id BIGINT := migration.dual_write_find_week(acting_user, request);
    siblings BIGINT[];
    previous_child UUID;
BEGIN
    -- The other rows of its child-week, read before the row is gone.
    siblings := ARRAY(SELECT s.id FROM public.habit_tracker AS h, migration.child_week_rows(h) AS s (id)
                      WHERE h.id = target_id);
    DELETE FROM public.habit_tracker AS h WHERE h.id = target_id
    RETURNING migration.child_id(h.user_id, h.child_name) INTO previous_child;
    PERFORM migration.dual_write_sync(target_id, siblings, previous_child, NULL);
    RETURN jsonb_build_object('status', 200,
                              'body', jsonb_build_object('operation', 'delete_week', 'legacy_id', target_id,
                                                         'deleted', TRUE));
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.dual_write_delete_week(UUID, JSONB) FROM PUBLIC;
