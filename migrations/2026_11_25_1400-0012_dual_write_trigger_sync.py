"""Dual-write trigger, Phase 1 form: keep the new tables in step with every legacy write

Revision: 0012_dual_write_trigger_sync
Revises: 0011_sync_state
Created: 2026-11-25 14:00:00

What and why
    Phase 1 (T0.20): the application's dual-write endpoint writes both schemas; this trigger
    is its backup, so that a legacy write made any other way (an old client, a manual fix)
    still reaches the new tables. `sync_old_to_new()` (revision 0009, log-only) is replaced
    by the sync below; the trigger itself is unchanged.

    For each legacy row written (INSERT, UPDATE or DELETE), under a transaction-level
    advisory lock per child (syncs of one child's rows run one at a time, so the
    duplicate_week rule never reads a sibling row mid-change),
    migration.sync_legacy_row(id, 'dual_write', previous child) makes the new tables equal to
    what the mapping of 0010 gives for the row as it now is: the child (if new), the week,
    its habits and records are inserted or updated where they differ and deleted where they
    no longer map (a renamed child or a changed week start moves the week; the previous
    child goes once no week refers to it); a row the mapping cannot take is quarantined, and
    released when an UPDATE makes it clean; the sync state of 0011 is recorded. The rows of
    the same child-week (before and after the write) are re-synced too, because the
    duplicate_week rule looks across them. Rows it writes carry source_version 'dual_write'.
    It uses the mapping functions only (row_problem via classified_legacy_rows, map_week,
    map_habits, map_records): no rule is restated. It is a row-at-a-time twin of
    sync_legacy_ids() without temporary tables, because a trigger must cost little; the
    property test and `make drift` hold both to the same result.

    Skip switch (the application endpoint). A transaction that has already written both
    schemas itself runs
        SET LOCAL migration.skip_sync_trigger = 'on';
    and the trigger does nothing for its writes. SET LOCAL ends with the transaction.

    Global switch (the plan's rollback scenario 3, without a migration or a table lock):
        UPDATE migration.settings SET value = 'false' WHERE name = 'sync_trigger';
    (`make sync-trigger MODE=off`; `MODE=on` turns it back). While off, legacy writes are not
    synced; `make drift` shows them and `make resync` brings them in. `ALTER TABLE
    habit_tracker DISABLE TRIGGER trigger_habit_tracker_dual_write` (the plan's form) works
    too but takes a SHARE ROW EXCLUSIVE lock. `make verify` reports the mode.

    A legacy write is never lost because of the new schema. The sync runs in a
    subtransaction (BEGIN ... EXCEPTION, in migration.try_sync_legacy_row(), which `make
    resync` calls too) and ends with SET CONSTRAINTS ALL IMMEDIATE, so
    that deferred unique checks fire inside it rather than at COMMIT. If anything fails (a
    constraint of the new tables, a deadlock with another sync, a bug), the subtransaction's
    writes are rolled back, the failure is upserted into migration.sync_failures (legacy id,
    operation, SQLSTATE, message, attempts) with a WARNING, and the legacy write commits.
    `make drift` reports each recorded failure (HIGH, SYNC_FAILED) besides the drift it
    causes; `make resync` re-syncs them and every other row changed since its last sync, and
    a successful sync of a row clears its failure record.

    SECURITY DEFINER (owner: the migration role) with a fixed search_path: the app's roles
    write habit_tracker but have no rights on the migration schema.

Locks taken, and for how long
    CREATE OR REPLACE FUNCTION sync_old_to_new(): no table lock; the next trigger firing uses
    the new body. New objects in the migration schema; ALTER TABLE migration.settings (two
    rows) takes ACCESS EXCLUSIVE on that table for milliseconds. No lock on habit_tracker.
    Timeouts: lock_timeout '5s', statement_timeout '60s'.

How to verify
    `make verify`: "dual-write trigger: ... enabled; mode sync (Phase 1), syncing on".
    INSERT a legacy row: its week appears in weeks with source_version 'dual_write';
    `make drift` stays clean.

How to roll back
    `make downgrade` puts back 0009's log-only body (its frozen file, @0009) and drops the
    objects below, the switch setting and the failure records with them. Rows the trigger
    wrote stay (they are the mapping's rows; `make drift` still checks them).
"""
from alembic import op

from migrations.helpers.sql_files import execute, sql_of

revision = "0012_dual_write_trigger_sync"
down_revision = "0011_sync_state"
branch_labels = None
depends_on = None

# Created in this order; their SQL is migrations/sql/functions/migration.<name>@0012.sql.
NEW_FUNCTIONS = ("sync_trigger_enabled", "child_week_rows", "sync_legacy_row", "try_sync_legacy_row")

CREATE_SYNC_FAILURES = """\
CREATE TABLE migration.sync_failures (
    legacy_id BIGINT PRIMARY KEY,
    operation TEXT NOT NULL,
    sqlstate TEXT NOT NULL,
    message TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,  -- squawk-ignore prefer-bigint-over-int
    first_failed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_failed_at TIMESTAMPTZ NOT NULL DEFAULT now()
)"""


def widen_known_settings(names: str) -> None:
    """Replace ck_settings_known on migration.settings (two rows, read only by this repository's
    tools): the ACCESS EXCLUSIVE lock lasts milliseconds, so validating in the same
    transaction blocks nobody; squawk's rules for large tables are set aside with that reason."""
    op.execute("-- squawk-ignore ban-drop-constraint\n"
               "ALTER TABLE migration.settings DROP CONSTRAINT ck_settings_known")
    op.execute("-- squawk-ignore constraint-missing-not-valid\n"
               f"ALTER TABLE migration.settings ADD CONSTRAINT ck_settings_known CHECK (name IN {names}) NOT VALID")
    op.execute("-- squawk-ignore constraint-missing-not-valid\n"
               "ALTER TABLE migration.settings VALIDATE CONSTRAINT ck_settings_known")


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    widen_known_settings("('repair_sunday_starts', 'sync_trigger')")
    op.execute("INSERT INTO migration.settings (name, value) VALUES ('sync_trigger', 'true')")
    op.execute(CREATE_SYNC_FAILURES)
    for function in NEW_FUNCTIONS:
        execute(f"functions/migration.{function}", "0012")
    execute("functions/public.sync_old_to_new", "0012")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    # 0009's log-only function back (its frozen file, CREATE run as CREATE OR REPLACE, which
    # replaces every property: SECURITY DEFINER and the SET go with the body). Its comment is
    # restored here, schema-qualified as this revision has always written it.
    phase0_function, _phase0_comment = sql_of("functions/public.sync_old_to_new", "0009", restoring=True)
    op.execute(phase0_function)
    op.execute("COMMENT ON FUNCTION public.sync_old_to_new() IS 'dual-write mode: log-only (Phase 0)'")
    op.execute("DROP FUNCTION migration.try_sync_legacy_row(BIGINT, TEXT, UUID, BIGINT[])")
    op.execute("DROP FUNCTION migration.sync_legacy_row(BIGINT, TEXT, UUID)")
    op.execute("DROP FUNCTION migration.child_week_rows(public.habit_tracker)")
    op.execute("DROP FUNCTION migration.sync_trigger_enabled()")
    op.execute("DROP TABLE migration.sync_failures")
    op.execute("DELETE FROM migration.settings WHERE name = 'sync_trigger'")
    widen_known_settings("('repair_sunday_starts')")
