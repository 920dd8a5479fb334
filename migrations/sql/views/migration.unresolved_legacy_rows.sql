-- migration.unresolved_legacy_rows: the view's current definition, as the database holds it at head (revisions 0024; 0039 renamed the legacy table it reads to habit_tracker_old).
-- No revision runs this file: each runs its own frozen migration.unresolved_legacy_rows@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE VIEW migration.unresolved_legacy_rows AS
-- The quarantined legacy rows no operator has decided: every one but those discarded with
-- their current content (a discarded row edited since is unresolved again).
SELECT q.legacy_id, q.reason, q.detail, q.quarantined_at, h AS legacy
FROM migration.backfill_quarantine AS q
INNER JOIN public.habit_tracker_old AS h ON q.legacy_id = h.id
WHERE NOT EXISTS (
    SELECT 1 FROM migration.discarded_legacy_rows AS x
    WHERE x.legacy_id = q.legacy_id AND x.row = to_jsonb(h)  -- noqa: RF03
);
