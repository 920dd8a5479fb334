-- migration.assign_legacy_owner (function): the statements revision 0024_quarantine_decisions ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.assign_legacy_owner.sql.

-- statement
CREATE FUNCTION migration.assign_legacy_owner(legacy_row_id BIGINT, owner_id UUID, actor TEXT DEFAULT NULL)
RETURNS migration.quarantine_decisions  -- noqa: CP05
LANGUAGE plpgsql
AS $$
DECLARE
    h public.habit_tracker;
    decision migration.quarantine_decisions;
BEGIN
    -- An operator's decision (`make quarantine-resolve ACTION=assign`): an owner-less legacy
    -- row gets its owner, and its days come in by the mapping at once (the same sync as every
    -- legacy write).
    h := migration.lock_unresolved_row(legacy_row_id);
    IF h.user_id IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MGQ03',
            MESSAGE = format('legacy row %s has an owner (%s): assign is for owner-less rows', h.id, h.user_id);
    END IF;
    INSERT INTO migration.quarantine_decisions (legacy_id, action, owner, previous_user_id, row, decided_by)
    VALUES (h.id, 'assign', owner_id, h.user_id, to_jsonb(h), coalesce(actor, current_user))
    RETURNING * INTO decision;
    -- An owner that is no user fails here (23503, habit_tracker's foreign key): the whole
    -- decision is undone with it.
    UPDATE public.habit_tracker AS t SET user_id = owner_id WHERE t.id = h.id;
    PERFORM migration.sync_legacy_ids(ARRAY[h.id], 'migration');
    RETURN decision;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.assign_legacy_owner(BIGINT, UUID, TEXT) FROM PUBLIC;
