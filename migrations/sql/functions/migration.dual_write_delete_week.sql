-- migration.dual_write_delete_week: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0018, 0023).
-- No revision runs this file: each runs its own frozen migration.dual_write_delete_week@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

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

-- statement
REVOKE EXECUTE ON FUNCTION migration.dual_write_delete_week(UUID, JSONB) FROM PUBLIC;
