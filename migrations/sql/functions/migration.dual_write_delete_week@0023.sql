-- migration.dual_write_delete_week (function): the statements revision 0023_place_days_by_date ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.dual_write_delete_week.sql.

-- statement
CREATE OR REPLACE FUNCTION migration.dual_write_delete_week(acting_user UUID, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    target_id BIGINT := migration.dual_write_find_week(acting_user, request);
    previous_child UUID;
BEGIN
    -- Its child-weeks are placed again without it (from its sync state), with the other rows
    -- that have days in them.
    DELETE FROM public.habit_tracker AS h WHERE h.id = target_id
    RETURNING migration.child_id(h.user_id, h.child_name) INTO previous_child;
    PERFORM migration.dual_write_sync(target_id, previous_child, NULL);
    RETURN jsonb_build_object('status', 200,
                              'body', jsonb_build_object('operation', 'delete_week', 'legacy_id', target_id,
                                                         'deleted', TRUE));
END;
$$;
