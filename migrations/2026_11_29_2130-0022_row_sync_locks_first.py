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

    From this revision on sync_legacy_row() takes its locks with
    migration.lock_legacy_children(ARRAY[row], FALSE, previous_child) of 0021: the child the
    row maps to now (habit_tracker), the one it was last synced to (sync_state), the one its
    week refers to (weeks) and previous_child, locked in key order until COMMIT (the same
    keys as before: hashtextextended(child, 0)), then read again under the locks; when a
    concurrent sync moved the row to a child not yet locked, the locks are released and all
    taken again, the new ones included, in key order. Then the row is classified, as before
    after the locks; if a rename committed in between gives it a child not locked, the
    attempt (locks and classification, a subtransaction) is undone and made again with that
    child locked, as sync_legacy_ids() does since 0021. At the end it deletes every child it
    locked other than the row's own that the mapping created and no week refers to any more
    (locked FOR UPDATE first, as before): the former child as read under the locks,
    previous_child and the week's former child. The rest of the body (the classification, the
    writes, the sync state) is 0016's, unchanged, and so are the rows it writes.

    CREATE OR REPLACE FUNCTION would drop 0017's SET clause, so the revision sets
    plan_cache_mode = force_generic_plan again in the same transaction (the same
    ALTER FUNCTION as 0017; nothing else in SET clauses). EXECUTE stays revoked from PUBLIC
    (0019): CREATE OR REPLACE keeps the function's privileges. Cost: one or two
    subtransactions per call (the attempt, and lock_legacy_children()'s own) and one more
    read of sync_state and weeks by primary key, under the locks.

Locks taken, and for how long
    CREATE OR REPLACE FUNCTION and ALTER FUNCTION ... SET only: pg_proc rows, no table lock.
    A sync running at that moment finishes with the body it started with; the next call
    uses the new one. Timeouts: lock_timeout '5s', statement_timeout '60s'. At run time a row
    sync holds the advisory locks of its row's children until its transaction commits, as
    since 0012.

How to verify
    SELECT proconfig, prosrc LIKE '%migration.lock_legacy_children(%'
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
