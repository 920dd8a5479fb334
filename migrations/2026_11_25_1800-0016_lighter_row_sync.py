"""A lighter row sync: inlinable id functions, and writes only where the mapping differs

Revision: 0016_lighter_row_sync
Revises: 0015_rls_planner_friendly
Created: 2026-11-25 18:00:00

What and why
    `make bench-api` (#7) measured the dual-write endpoint's update of one day at about 11 ms
    of database time, half of it in migration.sync_legacy_row() (0012). Profiled per
    statement and per function (track_functions = 'all', auto_explain), three costs were
    not the mapping's work but the way it was called:

    1. The id functions of 0010 (week_id, habit_id, record_id, child_id) were never inlined.
       They are declared IMMUTABLE but concatenate a bigint or uuid with `||`, which is the
       STABLE operator anytextcat; PostgreSQL does not inline an IMMUTABLE SQL function whose
       body is less than immutable, so each of the ~190 calls per update ran as a separate
       SQL function call (about 10 us each). Written with explicit `::TEXT` casts (the same
       output functions, so the same text and the same ids) they are plain expressions.
    2. sync_legacy_row() expanded map_habits() and map_records() three times each (delete
       what no longer maps, upsert, fingerprint). It now expands each once per statement
       (a MATERIALIZED CTE feeding the delete, the upsert and the fingerprint's lines).
    3. Its upserts were `INSERT ... ON CONFLICT DO UPDATE ... WHERE <differs>`, which locks
       every conflicting row even when the WHERE is false: an update of one day locked the
       week, its ~6 habits and ~36 records, one WAL record each. Rows already equal to the
       mapping are now left out before the INSERT (NOT EXISTS an equal row), so only rows
       that differ are written or locked. The per-child advisory lock of 0012 still
       serialises every sync of a child, so nothing changes between the check and the write.
       The orphaned-child check runs only when the row had (or was given) another child.

    The result is unchanged: the same rows with the same values, the same quarantine and
    sync state. The mapping's rules are not restated; the function is the same twin of
    sync_legacy_ids() (0010), which keeps its own form. tests/test_lighter_row_sync.py
    compares the id functions with 0010's expressions and every write path with the drift
    check; the whole sync suite runs at head.

Locks taken, and for how long
    CREATE OR REPLACE FUNCTION only: no table lock. A sync running at that moment finishes
    with the body it started with; the next call uses the new one. Timeouts:
    lock_timeout '5s', statement_timeout '60s'.

How to verify
    EXPLAIN VERBOSE SELECT * FROM migration.map_records(1, '2025-01-06', '[{"name": "a", "times": ["red"]}]');
    -- the output reads md5(...)::uuid, not migration.record_id(...)
    `make verify`; `make drift` (no drift); `make bench-api` for the effect.

How to roll back
    `make downgrade` (to 0015) puts back 0010's id functions and 0012's sync_legacy_row(),
    read from their frozen files (@0010, @0012). The ids are equal either way, so nothing
    needs re-syncing.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0016_lighter_row_sync"
down_revision = "0015_rls_planner_friendly"
branch_labels = None
depends_on = None

# The id functions of 0010 (week_id, habit_id, record_id, child_id) with explicit ::TEXT casts
# (the same ids: `x::TEXT` and anytextcat both use the type's output function), and the
# lighter sync_legacy_row(): migrations/sql/functions/migration.<name>@0016.sql. The downgrade
# puts back 0010's and 0012's versions from their frozen files (@0010, @0012), CREATE run as
# CREATE OR REPLACE (the signatures are unchanged).
ID_FUNCTIONS = ("week_id", "habit_id", "record_id", "child_id")


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for function in ID_FUNCTIONS:
        execute(f"functions/migration.{function}", "0016")
    execute("functions/migration.sync_legacy_row", "0016")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for function in ID_FUNCTIONS:
        execute(f"functions/migration.{function}", "0010", restoring=True)
    execute("functions/migration.sync_legacy_row", "0012", restoring=True)
