-- migration.discard_legacy_row (function): the statements revision 0024_quarantine_decisions ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.discard_legacy_row.sql.

-- statement
CREATE FUNCTION migration.discard_legacy_row(legacy_row_id BIGINT, actor TEXT DEFAULT NULL)
RETURNS migration.quarantine_decisions  -- noqa: CP05
LANGUAGE plpgsql
AS $$
DECLARE
    h public.habit_tracker;
    decision migration.quarantine_decisions;
BEGIN
    -- An operator's decision (`make quarantine-resolve ACTION=discard`): an unresolved row's
    -- whole content goes to the archive, with who and when. The row itself stays in
    -- habit_tracker, untouched; it is off the list for as long as it is what was archived.
    h := migration.lock_unresolved_row(legacy_row_id);
    INSERT INTO migration.quarantine_decisions (legacy_id, action, previous_user_id, row, decided_by)
    VALUES (h.id, 'discard', h.user_id, to_jsonb(h), coalesce(actor, current_user))
    RETURNING * INTO decision;
    -- One archive entry per row: a row edited since its last discard is archived as it is now.
    INSERT INTO migration.discarded_legacy_rows AS x (legacy_id, row, discarded_by, discarded_at, decision_id)
    VALUES (h.id, decision.row, decision.decided_by, decision.decided_at, decision.id)
    ON CONFLICT (legacy_id) DO UPDATE SET row = excluded.row, discarded_by = excluded.discarded_by,
        discarded_at = excluded.discarded_at, decision_id = excluded.decision_id;
    RETURN decision;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.discard_legacy_row(BIGINT, TEXT) FROM PUBLIC;
