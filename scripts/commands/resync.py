"""`make resync`: bring every legacy row that is out of step back into the new tables.

    python -m scripts.commands.resync

First drains the trigger's queue (revision 0013, `make sync-drain`), then re-syncs, one legacy
row at a time with migration.try_sync_legacy_row() (revision 0012), every row that needs it:
- the rows whose sync failed (migration.sync_failures, recorded by the trigger or the drain);
- the rows changed since their last sync (their hash differs from migration.sync_state:
  written while the trigger was off or skipped), rows never synced and rows deleted since
  (drift's drift_out_of_step). A sync places the child-weeks of its row whole, the same
  child-weeks `make drift` re-maps for them.

Since 0038_freeze_legacy there is nothing to resync (habit_tracker is frozen, the new tables are
the only copy being written): it says so and exits 0, writing nothing.

Each row runs in its own subtransaction: a row that still fails is recorded in
migration.sync_failures (operation RESYNC) and the others go on. Exit 0 when every row synced, 1 when some
still fail (named on stderr), 2 when it cannot run.
"""
from __future__ import annotations

import sys

import psycopg2

from scripts.commands import sync_queue
from scripts.db.database_url import connect, require_revision_object
from scripts.db.drift import select_rows
from scripts.db.errors import CheckFailed, UsageError, cli_main
from scripts.db.freeze import NOTHING_TO_COMPARE, frozen

COMMIT_EVERY = 500
OUT_OF_STEP = """SELECT legacy_id FROM drift_out_of_step UNION SELECT legacy_id FROM migration.sync_failures
                 ORDER BY legacy_id"""
TRY_SYNC_ROW = "SELECT migration.try_sync_legacy_row(%s, 'RESYNC')"


def out_of_step(conn) -> list[int]:
    with conn.cursor() as cur:
        select_rows(cur, min_age=0, full=False)
        cur.execute(OUT_OF_STEP)
        ids = [row[0] for row in cur.fetchall()]
    conn.commit()
    return ids


def resync(conn, ids: list[int]) -> list[tuple[int, str]]:
    """Sync each id; return the (id, error) of those that failed (recorded by the database)."""
    failed = []
    with conn.cursor() as cur:
        for n, legacy_id in enumerate(ids, 1):
            cur.execute(TRY_SYNC_ROW, (legacy_id,))
            failure = cur.fetchone()[0]
            if failure is not None:
                failed.append((legacy_id, " ".join(failure.split())))
            if n % COMMIT_EVERY == 0:
                conn.commit()
    conn.commit()
    return failed


def drain_queue_first(conn) -> tuple[int, int, int] | None:
    """Apply the writes the trigger queued (revision 0013), so they are not counted as out of step."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regprocedure('migration.drain_sync_queue(integer)') IS NOT NULL")
        has_queue = cur.fetchone()[0]
    conn.commit()
    if not has_queue:
        return None
    conn.autocommit = True
    try:
        totals = sync_queue.drain_all(conn, batch=1000)
    finally:
        conn.autocommit = False
    return totals if totals[0] else None


def main(argv: list[str]) -> int:
    if argv:
        raise UsageError("usage: python -m scripts.commands.resync")
    conn = connect(autocommit=False)
    try:
        # Asked first: after the drop (0040) the row sync is gone with the legacy table.
        if frozen(conn):
            print(f"resync: nothing to resync: {NOTHING_TO_COMPARE}")
            return 0
        require_revision_object(conn, "migration.try_sync_legacy_row(bigint,text,uuid,bigint[])",
                                "the database has no row sync: upgrade to 0012_dual_write_trigger_sync first")
        conn.commit()
        drained = drain_queue_first(conn)
        ids = out_of_step(conn)
        failed = resync(conn, ids)
    except psycopg2.Error as exc:
        raise UsageError(f"resync could not run: {' '.join(str(exc).split())}") from None
    finally:
        conn.close()
    if drained:
        print(sync_queue.report(drained))
    print(f"resynced {len(ids) - len(failed)} of {len(ids)} legacy rows out of step")
    if failed:
        for legacy_id, message in failed[:10]:
            print(f"resync: legacy row {legacy_id} still fails: {message}", file=sys.stderr)
        raise CheckFailed(f"{len(failed)} legacy rows still fail to sync (migration.sync_failures)")
    return 0


if __name__ == "__main__":
    cli_main(main)()
