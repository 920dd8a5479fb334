-- migration.unresolved_legacy_rows (view): the statements revision 0024_quarantine_decisions ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is views/migration.unresolved_legacy_rows.sql.

-- statement
CREATE VIEW migration.unresolved_legacy_rows AS
-- The quarantined legacy rows no operator has decided: every one but those discarded with
-- their current content (a discarded row edited since is unresolved again).
SELECT q.legacy_id, q.reason, q.detail, q.quarantined_at, h AS legacy
FROM migration.backfill_quarantine AS q
INNER JOIN public.habit_tracker AS h ON q.legacy_id = h.id
WHERE NOT EXISTS (
    SELECT 1 FROM migration.discarded_legacy_rows AS x
    WHERE x.legacy_id = q.legacy_id AND x.row = to_jsonb(h)  -- noqa: RF03
);
