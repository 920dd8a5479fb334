"""TRUNCATE habit_tracker is refused while both schemas are kept in step

Revision: 0020_legacy_truncate_guard
Revises: 0019_api_privileges
Created: 2026-11-29 21:10:00

What and why
    The dual-write trigger (0009, 0012, 0013) is a row trigger: TRUNCATE fires no row
    trigger, so `TRUNCATE habit_tracker` would empty the legacy table with nothing queued,
    and the new tables would keep every week it held. Drift would show it afterwards, but the
    legacy rows, the only source of truth in Phases 0 and 1, would already be gone. Until
    0019 any API role could issue it; the owner still can, by mistake or by a script written
    for a test database.

    A BEFORE TRUNCATE statement trigger on habit_tracker, trigger_habit_tracker_refuse_truncate,
    raises an error for everyone, the owner included: the statement is undone and nothing is
    lost. Refusing rather than syncing: the sync of a TRUNCATE would be to delete every
    mapped week, habit and record, the one outcome nobody wants from a mistake. To empty the
    table on purpose during dual-write, DELETE it (the sync trigger queues each row's removal
    and the drain deletes what it mapped). Phase 3 drops this trigger together with the sync
    trigger, before the table is retired.

    The function is in schema migration, owned by postgres, EXECUTE revoked from PUBLIC: a
    trigger function needs no EXECUTE privilege to fire.

Locks taken, and for how long
    CREATE TRIGGER takes SHARE ROW EXCLUSIVE on habit_tracker for the instant of the catalog
    change: it waits for open writes to habit_tracker to commit and blocks new ones while it
    waits (lock_timeout '5s' bounds that), then commits at once. CREATE FUNCTION locks no
    table. Timeouts: lock_timeout '5s', statement_timeout '60s'.

How to verify
    BEGIN; TRUNCATE habit_tracker; ROLLBACK;
    -- ERROR 55000: TRUNCATE habit_tracker is refused while dual-write keeps the new tables in step
    `make verify` (the dual-write trigger line names the guard).

How to roll back
    `make downgrade` (to 0019) drops the trigger and its function; TRUNCATE works again for
    the owner (no API role holds TRUNCATE since 0019). No data is touched.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0020_legacy_truncate_guard"
down_revision = "0019_api_privileges"
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    execute("functions/migration.refuse_legacy_truncate", "0020")
    execute("triggers/public.habit_tracker.trigger_habit_tracker_refuse_truncate", "0020")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute("DROP TRIGGER trigger_habit_tracker_refuse_truncate ON public.habit_tracker")
    op.execute("DROP FUNCTION migration.refuse_legacy_truncate()")
