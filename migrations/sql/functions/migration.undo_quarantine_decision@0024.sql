-- migration.undo_quarantine_decision (function): the statements revision 0024_quarantine_decisions ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.undo_quarantine_decision.sql.

-- statement
CREATE FUNCTION migration.undo_quarantine_decision(legacy_row_id BIGINT, actor TEXT DEFAULT NULL)
RETURNS migration.quarantine_decisions  -- noqa: CP05
LANGUAGE plpgsql
AS $$
DECLARE
    decision migration.quarantine_decisions;
BEGIN
    -- `make quarantine-resolve ACTION=undo`: the latest decision on the row not undone yet is
    -- undone, and kept in the log marked with who undid it and when.
    PERFORM 1 FROM public.habit_tracker AS t WHERE t.id = legacy_row_id FOR UPDATE;
    SELECT d.* INTO decision FROM migration.quarantine_decisions AS d
    WHERE d.legacy_id = legacy_row_id AND d.undone_at IS NULL
    ORDER BY d.id DESC LIMIT 1
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'MGQ04', MESSAGE = format('legacy row %s has no decision to undo', legacy_row_id);
    END IF;
    IF decision.action = 'assign' THEN
        -- The owner goes back only if it is still the one assigned: an owner set since (by the
        -- app or by hand) is someone's later decision, kept. The sync takes the row's days out
        -- again (or places them under that owner).
        UPDATE public.habit_tracker AS t SET user_id = decision.previous_user_id
        WHERE t.id = decision.legacy_id AND t.user_id = decision.owner;
        PERFORM migration.sync_legacy_ids(ARRAY[decision.legacy_id], 'migration');
    ELSE
        DELETE FROM migration.discarded_legacy_rows AS x
        WHERE x.legacy_id = decision.legacy_id AND x.decision_id = decision.id;
    END IF;
    UPDATE migration.quarantine_decisions AS d SET undone_by = coalesce(actor, current_user), undone_at = now()
    WHERE d.id = decision.id
    RETURNING d.* INTO decision;
    RETURN decision;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.undo_quarantine_decision(BIGINT, TEXT) FROM PUBLIC;
