"""The row sync keeps its plans: sync_legacy_row() runs with plan_cache_mode = force_generic_plan

Revision: 0017_row_sync_generic_plans
Revises: 0016_lighter_row_sync
Created: 2026-11-25 19:00:00

What and why
    PL/pgSQL caches a plan for each statement of a function, but with the default
    plan_cache_mode (auto) it plans the first five calls with the parameters' values and then
    keeps a generic plan only if that plan's estimated cost is no higher than the average of
    the custom ones. For the records statement of sync_legacy_row() (0016) the two plans are
    the same shape and the generic one is estimated 0.2% dearer (28,402 against 28,336: the
    parameters' JSON is unknown to it), so PostgreSQL re-planned that statement on every
    call, in every session, forever. pg_stat_statements (track = all, track_planning) over
    300 warm calls of the endpoint's one-day update:

        records statement   plans 301 of 300 calls   planning 818 us   execution 673 us

    i.e. 0.8 ms of each sync was spent making the plan it had made the time before. With
    force_generic_plan every statement of the sync (and of the mapping functions it calls) is
    planned once per session. The other statements were already generic (plans = 6 of 300),
    so their plans do not change; the records statement's generic plan is the one it was
    already given (the same index probes and anti-joins; see How to verify).

    Only how often the statements are planned changes: the rows written, the ids, the
    quarantine and the sync state are what they were. The setting is the function's own
    (a SET clause: restored when it returns), so nothing else in the caller's session plans
    differently. Every caller benefits: the endpoint, the trigger's queue drain and `resync`.

Locks taken, and for how long
    ALTER FUNCTION ... SET updates one pg_proc row: no table lock. A sync running at that
    moment finishes under the old setting; the next call uses the new one. Timeouts:
    lock_timeout '5s', statement_timeout '60s'.

How to verify
    SELECT proconfig FROM pg_proc WHERE oid = 'migration.sync_legacy_row(bigint, text, uuid)'::REGPROCEDURE;
    -- {plan_cache_mode=force_generic_plan}
    With auto_explain (log_nested_statements, log_verbose) the first call's records statement
    already reads its parameters ($n) where a custom plan shows the row's values.
    `make verify`; `make bench-api` for the effect.

How to roll back
    `make downgrade` (to 0016) resets the setting: the function plans as PostgreSQL decides
    again. Nothing else to undo.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0017_row_sync_generic_plans"
down_revision = "0016_lighter_row_sync"
branch_labels = None
depends_on = None

# The ALTER FUNCTION ... SET is migrations/sql/functions/migration.sync_legacy_row@0017.sql.
RESET_GENERIC_PLANS = "ALTER FUNCTION migration.sync_legacy_row(BIGINT, TEXT, UUID) RESET plan_cache_mode"


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    execute("functions/migration.sync_legacy_row", "0017")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute(RESET_GENERIC_PLANS)
