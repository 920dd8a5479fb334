"""Dual-write trigger on habit_tracker, Phase 0 form: log only (T0.19)

Revision: 0009_dual_write_trigger_phase0
Revises: 0008_idempotency_cleanup
Created: 2026-11-25 11:10:00

What and why
    Creates `sync_old_to_new()` and `trigger_habit_tracker_dual_write` (AFTER INSERT OR
    UPDATE OR DELETE, FOR EACH ROW) on the legacy table. In Phase 0 the function writes
    nothing: it raises a NOTICE naming the table, the operation and the legacy id, so the
    wiring can be watched in the logs before it does any work. A later revision replaces the
    function body with the Phase 1 sync; this one stays as the record of the log-only form.
    The function's comment states its mode, which `make verify` reports.

    (The original read NEW.id for every operation, which is NULL on DELETE; this one reads
    OLD.id for DELETE.)

Locks taken, and for how long
    CREATE TRIGGER takes SHARE ROW EXCLUSIVE on habit_tracker: it waits for writes in
    flight and blocks new writes (not reads) until COMMIT, a few milliseconds. Because
    writes queue behind a waiting lock request, lock_timeout is lowered to '2s' here: on a
    busy table the revision gives up quickly rather than stall the app; re-run it.

How to verify
    SELECT tgname, tgenabled FROM pg_trigger WHERE tgname = 'trigger_habit_tracker_dual_write';
    -- one row, tgenabled = 'O'
    INSERT/UPDATE/DELETE a legacy row: a NOTICE "Dual-write trigger fired: table=habit_tracker,
    operation=..., id=..." and no row in the new tables. `make verify` reports the mode.

How to roll back
    `make downgrade` drops the trigger (same lock, same timeout) and then the function.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0009_dual_write_trigger_phase0"
down_revision = "0008_idempotency_cleanup"
branch_labels = None
depends_on = None

DROP_SYNC_FUNCTION = "DROP FUNCTION sync_old_to_new()"

DROP_DUAL_WRITE_TRIGGER = "DROP TRIGGER trigger_habit_tracker_dual_write ON habit_tracker"


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    execute("functions/public.sync_old_to_new", "0009")
    execute("triggers/public.habit_tracker.trigger_habit_tracker_dual_write", "0009")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute(DROP_DUAL_WRITE_TRIGGER)
    op.execute(DROP_SYNC_FUNCTION)
