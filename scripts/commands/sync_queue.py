"""`make sync-drain` / `make sync-worker`: apply the legacy writes queued by the sync trigger.

    python -m scripts.commands.sync_queue drain [--batch N]
    python -m scripts.commands.sync_queue worker [--batch N] [--interval SECONDS]
    python -m scripts.commands.sync_queue status

Since revision 0013 the dual-write trigger only queues each legacy write
(migration.sync_queue); migration.drain_sync_queue() syncs the queued rows set-based. pg_cron
runs it every minute where it is installed; these commands run it from outside:

- drain: until the queue is empty (each batch its own transaction), then report; exit 1 if
  some rows failed to sync (recorded in migration.sync_failures: `make resync`).
- worker: drain, sleep INTERVAL (default 2 s), again, until interrupted; for a lag of seconds
  without pg_cron. A lost connection is reported on one line and retried.
- status: how many writes wait and how old the oldest is.

Retired since revision 0038_freeze_legacy: habit_tracker refuses every write and its sync
trigger is gone, so nothing is ever queued. drain and worker then print "retired since
0038_freeze_legacy" and exit 0 (nothing failed, nothing is left to do: a supervisor that still
starts the worker is not told of a failure); status still reads the queue.
"""
from __future__ import annotations

import sys
import time

import psycopg2

from scripts.db.database_url import connect, require_revision_object
from scripts.db.errors import OneLineParser, CheckFailed, UsageError, cli_main
from scripts.db.freeze import FREEZE_REVISION, frozen
from scripts.db.legacy_table import dropped

DRAIN = "SELECT queued, synced, failed FROM migration.drain_sync_queue(%s)"
STATUS = """SELECT count(*), count(DISTINCT legacy_id), coalesce(extract(EPOCH FROM now() - min(enqueued_at)), 0)
            FROM migration.sync_queue"""
BUSY_WAIT_SECONDS = 0.2
BUSY_LIMIT_SECONDS = 120


def require_queue(conn) -> None:
    require_revision_object(conn, "migration.drain_sync_queue(integer)",
                            "the database has no sync queue: upgrade to 0013_dual_write_sync_queue first")


def queue_status(conn) -> tuple[int, int, float]:
    with conn.cursor() as cur:
        cur.execute(STATUS)
        entries, rows, oldest = cur.fetchone()
    return entries, rows, float(oldest)


def drain_all(conn, batch: int) -> tuple[int, int, int]:
    """Drain batches until the queue is empty; (queued entries, rows synced, rows failed).

    Another drain holding the drain lock (pg_cron's) makes a call return nothing done while
    entries remain: wait for it rather than report an empty queue."""
    totals = [0, 0, 0]
    waited = 0.0
    with conn.cursor() as cur:
        while True:
            cur.execute(DRAIN, (batch,))
            queued, synced, failed = cur.fetchone()
            totals = [totals[0] + queued, totals[1] + synced, totals[2] + failed]
            if queued:
                continue
            if queue_status(conn)[0] == 0:
                return tuple(totals)
            if waited > BUSY_LIMIT_SECONDS:
                raise CheckFailed(f"the queue is not draining: another drain has held the drain lock for {waited:.0f} s")
            time.sleep(BUSY_WAIT_SECONDS)
            waited += BUSY_WAIT_SECONDS


def report(totals: tuple[int, int, int]) -> str:
    queued, synced, failed = totals
    return f"drained {queued} queued legacy writes: {synced} legacy rows synced, {failed} failed"


def run_worker(batch: int, interval: float) -> None:
    print(f"sync worker: draining migration.sync_queue every {interval:g} s (Ctrl-C stops)", flush=True)
    conn = None
    while True:
        try:
            if conn is None or conn.closed:
                conn = connect()
                require_queue(conn)
            totals = drain_all(conn, batch)
            if totals[0]:
                print(report(totals), flush=True)
        except (psycopg2.OperationalError, psycopg2.InterfaceError, UsageError) as exc:
            print(f"sync worker: {' '.join(str(exc).split())}; retrying in {interval:g} s", file=sys.stderr, flush=True)
            conn = None
        time.sleep(interval)


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="sync_queue", description=__doc__.splitlines()[0],
                            usage_line="usage: python -m scripts.commands.sync_queue drain|worker|status [--batch N] [--interval SECONDS]")
    parser.add_argument("action", choices=("drain", "worker", "status"))
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=2.0)
    args = parser.parse_args(argv)
    if args.batch < 1 or args.interval <= 0:
        raise UsageError("--batch must be at least 1 and --interval positive")
    conn = connect()
    try:
        if frozen(conn) and (args.action != "status" or dropped(conn)):
            print(f"sync {args.action}: retired since {FREEZE_REVISION}: habit_tracker is frozen and nothing is "
                  "queued any more (the endpoint writes only the new tables)")
            return 0
        if args.action == "worker":
            conn.close()
            run_worker(args.batch, args.interval)
            return 0
        require_queue(conn)
        if args.action == "status":
            entries, rows, oldest = queue_status(conn)
            print(f"sync queue: {entries} queued writes of {rows} legacy rows, oldest {oldest:.1f} s")
            return 0
        totals = drain_all(conn, args.batch)
    except psycopg2.Error as exc:
        raise UsageError(f"drain could not run: {' '.join(str(exc).split())}") from None
    finally:
        conn.close()
    print(report(totals))
    if totals[2]:
        raise CheckFailed(f"{totals[2]} legacy rows failed to sync (migration.sync_failures): make resync")
    return 0


if __name__ == "__main__":
    cli_main(main)()
