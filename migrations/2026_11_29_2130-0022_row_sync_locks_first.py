"""The row sync locks every child its row touches before it reads it: no child left behind

Revision: 0022_row_sync_locks_first
Revises: 0021_drain_locks_before_reading
Created: 2026-11-29 21:30:00

What and why
    0021 fixed the drain and the backfill; migration.sync_legacy_row() (0012, 0016, 0017) had
    the same fault and was left as it was. It is the endpoint's sync (migration.dual_write(),
    through dual_write_sync()), `make resync`'s (try_sync_legacy_row()) and the drain's
    one-row path. It read the child the row was last synced to (migration.sync_state) before
    it took the per-child advisory locks, and never read it again. A sync of the same row
    that committed in between (moving the week to another child) left that child unknown to
    it: never locked, never deleted, a child with no week (EXTRA_CHILD) that neither the
    drain nor `make resync` removes afterwards, since both look only at the row's children as
    they are now. Reproduced in order by tests/test_row_sync_locks_before_reading.py: sync a
    row to child A; rename it to B; a first sync (not yet committed) moves the week to B,
    deletes A and records B; rename the row to C; a second sync reads A and C and waits for
    A's lock; the first commits; the second moves the week to C and deletes A (gone already):
    at 0021, B is left with no week, for the direct call and for resync's, and drift reports
    EXTRA_CHILD.

    From this revision on sync_legacy_row() locks as lock_legacy_children() (0021) does: every
    child the row touches (the one it maps to now in habit_tracker, the one it was last
    synced to in sync_state, the one its week refers to in weeks, and previous_child) is
    locked in key order until COMMIT (the same keys as before: hashtextextended(child, 0));
    then, under the locks, the row is classified and the recorded child and the week's child
    are read again. When one of the three is not locked (a concurrent sync or a rename
    committed meanwhile), the attempt (a subtransaction) is rolled back, releasing its locks,
    and all are taken again, the new ones included, in key order: the lockers never wait for
    each other out of key order. At the end it deletes every child it locked, other than the
    row's own, that the mapping created and no week refers to any more (locked FOR UPDATE
    first, as before): the former child as read under the locks, previous_child and the
    week's former child. The rest of the body (the classification, the writes, the sync
    state) is 0016's, unchanged, and so are the rows it writes.

    The algorithm is lock_legacy_children()'s, written into the function rather than called:
    lock_legacy_children() reads through the SQL function legacy_children(), which PostgreSQL
    plans again at every call (not inlinable), twice a sync. Calling it cost 0.58 ms a row
    sync; measured on 2,000 seeded rows (500 rows synced in turn, each in its own
    transaction, medians of five runs), an unchanged row's sync went from 1.17-1.34 ms at
    0021 to 1.75-1.83 ms, a one-day update with its sync from 1.75-1.86 ms to 2.42-2.43 ms.
    Written in PL/pgSQL, its statements keep their plans (force_generic_plan, 0017) and the
    row sync costs one subtransaction and three primary-key reads more: the same measurement
    gives 1.31 ms at 0021 and 1.40 ms at 0022 for an unchanged row, 1.93 ms and 1.95 ms for
    a one-day update with its sync (2026-11-29, this repository's test machine).

    CREATE OR REPLACE FUNCTION would drop 0017's SET clause, so the revision sets
    plan_cache_mode = force_generic_plan again in the same transaction (the same
    ALTER FUNCTION as 0017; nothing else in SET clauses). EXECUTE stays revoked from PUBLIC
    (0019): CREATE OR REPLACE keeps the function's privileges. The revision id is shorter than
    the change's name: alembic_version.version_num holds 32 characters.

Locks taken, and for how long
    CREATE OR REPLACE FUNCTION and ALTER FUNCTION ... SET only: pg_proc rows, no table lock.
    A sync running at that moment finishes with the body it started with; the next call
    uses the new one. Timeouts: lock_timeout '5s', statement_timeout '60s'. At run time a row
    sync holds the advisory locks of its row's children until its transaction commits, as
    since 0012.

How to verify
    SELECT proconfig, prosrc LIKE '%WHEN SQLSTATE ''MGLCK'' THEN%'
    FROM pg_proc WHERE oid = 'migration.sync_legacy_row(bigint, text, uuid)'::REGPROCEDURE;
    -- {plan_cache_mode=force_generic_plan}, t
    `make verify` (the child locks line: sync_legacy_row() locks the children first);
    tests/test_row_sync_locks_before_reading.py: the ordered race above leaves only C, and
    `make drift` is clean.

How to roll back
    `make downgrade` (to 0021) puts back 0016's sync_legacy_row() from its frozen file (@0016)
    and 0017's plan_cache_mode setting from its own (@0017), so the function is exactly what
    it was at 0021. Children left without a week by a later race stay until removed by hand
    (drift shows them as EXTRA_CHILD). No data is touched by the downgrade itself.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0022_row_sync_locks_first"  # at most 32 characters: alembic_version.version_num is VARCHAR(32)
down_revision = "0021_drain_locks_before_reading"
branch_labels = None
depends_on = None

# The SQL is migrations/sql/functions/migration.sync_legacy_row@0022.sql: the new body and 0017's
# SET clause again (CREATE OR REPLACE drops it). The downgrade restores 0016's body from its
# frozen file (already CREATE OR REPLACE) and 0017's setting from @0017.


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    execute("functions/migration.sync_legacy_row", "0022")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    execute("functions/migration.sync_legacy_row", "0016", restoring=True)
    execute("functions/migration.sync_legacy_row", "0017")
