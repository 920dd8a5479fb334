"""The drain and the backfill lock every child they touch before they read it: no child left behind

Revision: 0021_drain_locks_before_reading
Revises: 0020_legacy_truncate_guard
Created: 2026-11-29 21:20:00

What and why
    Issue #17, point 9. With the backfill, a drain worker and legacy renames running together,
    drift found children with no weeks (EXTRA_CHILD: 8, then 5) that neither `make resync`
    nor `make backfill` removes, and a backfill batch could stop on fk_weeks_child_id.
    tests/test_drain_backfill_race.py runs the three together: at 0020 it ended with 1 to 7
    such children in five runs of six, and a backfill batch stopped on the foreign key in
    three. Three causes, one family:

    1. migration.drain_sync_queue() (0013) read the children it would delete (the children
       the rows were last synced to, migration.sync_state) before it took the per-child
       locks, and never read them again. A sync that committed in between moved a week to a
       child the drain did not know, so that child was never locked nor deleted.
    2. migration.sync_legacy_ids() (0011; the backfill's path, and the drain's) takes no
       per-child lock at all, and deletes only the children the rows map to now. When the
       backfill syncs a renamed or re-owned row before the drain does, it moves the week and
       overwrites the row's sync state: the former child is left with no week, and nothing
       remembers it (neither resync nor backfill looks for it again). Reproduced in order,
       without any concurrency: sync a child's rows; rename the child in habit_tracker;
       `make backfill`; `make sync-drain`: the former child stays, with no week.
    3. Unlocked, the drain deleted a child (found without weeks) between the backfill's
       INSERT of that child (ON CONFLICT DO NOTHING: it existed) and the INSERT of its week:
       the backfill batch stopped on fk_weeks_child_id.

    From this revision on:
    - migration.legacy_children(ids) (new): every child those legacy rows touch: the child
      each maps to now (habit_tracker), the one it was last synced to (sync_state) and the
      one its week refers to (weeks).
    - migration.lock_legacy_children(ids, with_members, known) (new): takes the per-child
      advisory locks of 0012 (the same keys, hashtextextended(child, 0), in key order, until
      COMMIT) for those children, then reads the rows (with their child-weeks' other rows when
      with_members) and their children again under the locks. When a concurrent sync moved
      one to a child not yet locked, the locks taken are released (the attempt is a
      subtransaction, rolled back) and all are taken again, the new ones included, in key
      order: the lockers never wait for each other out of key order. It returns the rows and
      the children locked.
    - migration.sync_legacy_ids() takes those locks first, then writes the mapping as before
      (write_mapping() and record_sync_state() of 0011, unchanged). The mapping classifies
      the rows once more after the locks; if a rename committed in between gave a row a
      child not locked, the attempt is undone and made again with that child locked. Then it
      deletes every child among those locked that the mapping created and no week refers to
      any more: the former child of a renamed or re-owned row, whoever syncs it (locked FOR
      UPDATE first, then deleted in a statement of its own, as 0012 does). Its result counts
      those children in rows_deleted.
    - migration.drain_sync_queue() locks the taken rows, the other rows of their
      child-weeks and all their children (lock_legacy_children(taken, TRUE)) before it
      decides which rows to sync, then calls sync_legacy_ids() for them; the former children
      are sync_legacy_ids()' to delete now. Only one drain at a time, the batch, the
      subtransaction and the one-row-at-a-time path on failure are as in 0013.

    The rows written are the mapping's, as before; only who locks what, and the former
    children deleted, change. The backfill now waits for a drain holding a child of its batch
    (and the other way round) instead of interleaving with it; its batches keep lock_timeout
    2s. Measured on 6,000 seeded rows (5% dirty), `make backfill BATCH=1000` alone: 6.2 s, then
    4.2 s for the re-run, against 7.0 s and 3.7 s at 0020 (the same within this machine's
    noise). migration.sync_legacy_row() (0012, 0016, 0017; the endpoint's, resync's and the
    drain's one-row path) is not changed here. Both new functions have EXECUTE revoked from
    PUBLIC (0019's rule: migration.* are called by postgres only).

Locks taken, and for how long
    CREATE FUNCTION, CREATE OR REPLACE FUNCTION and REVOKE only: catalog rows, no table lock.
    A drain or backfill batch running at that moment finishes with the bodies it started
    with; the next call uses the new ones. Timeouts: lock_timeout '5s', statement_timeout
    '60s'. At run time a drain or backfill batch holds the advisory locks of its children
    until it commits, as the row sync of 0012 always did.

How to verify
    SELECT p.oid::REGPROCEDURE, has_function_privilege('public', p.oid, 'EXECUTE')
    FROM pg_proc AS p WHERE p.proname IN ('legacy_children', 'lock_legacy_children');
    -- two functions, f
    tests/test_drain_backfill_race.py: backfill, drain and renames together, then `make drift`
    clean and no child without a week. By hand: sync a child's rows, rename the child in
    habit_tracker, `make backfill`, `make sync-drain`: the former child is gone.

How to roll back
    `make downgrade` (to 0020) puts back 0011's sync_legacy_ids() and 0013's
    drain_sync_queue(), from their frozen files (@0011, @0013; neither had a SET clause), and drops
    the two new functions. Children left without a week by a later race stay until removed
    by hand (drift shows them as EXTRA_CHILD). No data is touched by the downgrade itself.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0021_drain_locks_before_reading"
down_revision = "0020_legacy_truncate_guard"
branch_labels = None
depends_on = None

# The SQL is migrations/sql/functions/migration.<name>@0021.sql: the two new functions (each
# with its REVOKE of EXECUTE from PUBLIC) and the new sync_legacy_ids() and drain_sync_queue().
# The downgrade restores the previous ones from their frozen files, 0011's sync_legacy_ids()
# and 0013's drain_sync_queue() (CREATE run as CREATE OR REPLACE; neither had a SET clause).
NEW_FUNCTIONS = (
    ("migration.legacy_children(BIGINT[])", "legacy_children"),
    ("migration.lock_legacy_children(BIGINT[], BOOLEAN, UUID[])", "lock_legacy_children"),
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for _signature, name in NEW_FUNCTIONS:
        execute(f"functions/migration.{name}", "0021")
    execute("functions/migration.sync_legacy_ids", "0021")
    execute("functions/migration.drain_sync_queue", "0021")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    execute("functions/migration.drain_sync_queue", "0013", restoring=True)
    execute("functions/migration.sync_legacy_ids", "0011", restoring=True)
    for signature, _ in reversed(NEW_FUNCTIONS):
        op.execute(f"DROP FUNCTION {signature}")
