"""`make bench-trigger`: what the Phase 1 dual-write trigger adds to a legacy write, measured.

On a database at head (the Makefile target starts a throwaway server with production's
durability: fsync and synchronous_commit on), seeds and backfills a realistic base, then
times, side by side and interleaved in rounds so that drift in the machine's speed hits both
alike:

- a legacy INSERT of a typical week (5-7 habits, from the generator), and
- a legacy UPDATE of such a week (one day's status and the reflection changed),

each its own transaction as the application sends it (autocommit, one round trip), with
the trigger on (revision 0013: it queues the write) against the trigger absent (disabled).
Reports the median and p95 of each and the ratio of medians (target: at most 3). Then drains
the queue as `make sync-drain` does, timed (the sync work moved off the write path), and
checks that `make drift` finds the synced weeks clean. pg_cron's drain job may run during
the rounds, as it would in production. Not part of `make test`.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date, timedelta

from scripts.commands import sync_queue
from scripts.bench.bench_base import seeded_and_backfilled
from scripts.db.database_url import connect
from scripts.db.drift import detect
from scripts.db.errors import UsageError, cli_main

TYPICAL_WEEKS = """SELECT user_id, habits FROM habit_tracker
                   WHERE user_id IS NOT NULL AND jsonb_typeof(habits) = 'array'
                     AND jsonb_array_length(habits) BETWEEN 5 AND 7
                     AND id NOT IN (SELECT legacy_id FROM migration.backfill_quarantine)
                   ORDER BY id LIMIT 50"""
INSERT = """INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id, reflection)
            VALUES (%s, %s, %s, %s, %s, %s) RETURNING id"""
UPDATE = """UPDATE habit_tracker SET habits = jsonb_set(habits, '{0,times,3}', to_jsonb(%s::TEXT)),
                                     reflection = %s, updated_at = now()
            WHERE id = %s"""
STATUSES = ("green", "yellow", "red", "")
FIRST_MONDAY = date(2030, 1, 7)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(cur, query, params) -> float:
    started = time.perf_counter()
    cur.execute(query, params)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_trigger")
    parser.add_argument("--rows", type=int, default=2000, help="legacy rows seeded and backfilled first")
    parser.add_argument("--writes", type=int, default=200, help="inserts and updates per mode and round")
    parser.add_argument("--rounds", type=int, default=4)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        raise UsageError("usage: python -m scripts.bench.bench_trigger [--rows N] [--writes N] [--rounds N]") from exc
    conn = connect(autocommit=False)
    seeded_and_backfilled(conn, args.rows, batch=1000)
    with conn.cursor() as cur:
        cur.execute(TYPICAL_WEEKS)
        weeks = cur.fetchall()
        cur.execute("SHOW fsync")
        fsync = cur.fetchone()[0]
        cur.execute("SHOW synchronous_commit")
        synchronous_commit = cur.fetchone()[0]
    conn.commit()
    conn.autocommit = True
    times = {(mode, op): [] for mode in ("absent", "queued") for op in ("insert", "update")}
    synced_ids = []
    with conn.cursor() as cur:
        for round_no in range(args.rounds):
            for mode in ("absent", "queued") if round_no % 2 == 0 else ("queued", "absent"):
                action = "ENABLE" if mode == "queued" else "DISABLE"
                cur.execute(f"ALTER TABLE habit_tracker {action} TRIGGER trigger_habit_tracker_dual_write")
                ids = []
                for i in range(args.writes):
                    user_id, habits = weeks[i % len(weeks)]
                    # Ten children a round, each with consecutive Mondays from 2030-01-07.
                    child = f"bench-{mode}-{round_no}-{i % 10}"
                    params = (child, f"{mode}-{round_no}-{i}", FIRST_MONDAY + timedelta(weeks=i // 10),
                              json.dumps(habits, ensure_ascii=False), user_id,
                              json.dumps({"good": "", "hard": "", "next": ""}))
                    times[(mode, "insert")].append(timed(cur, INSERT, params))
                    ids.append(cur.fetchone()[0])
                for n, legacy_id in enumerate(ids):
                    reflection = json.dumps({"good": f"{n}", "hard": "", "next": ""})
                    times[(mode, "update")].append(timed(cur, UPDATE, (STATUSES[n % 4], reflection, legacy_id)))
                if mode == "queued":
                    synced_ids += ids
                else:
                    # Unsynced by design: removed with the trigger still off.
                    cur.execute("DELETE FROM habit_tracker WHERE id = ANY(%s)", (ids,))
        cur.execute("ALTER TABLE habit_tracker ENABLE TRIGGER trigger_habit_tracker_dual_write")
        cur.execute(sync_queue.STATUS)
        waiting = cur.fetchone()[0]
    started = time.perf_counter()
    drained = sync_queue.drain_all(conn, batch=1000)
    drain_seconds = time.perf_counter() - started
    conn.autocommit = False
    report = detect(conn)
    conn.close()
    print(f"server: fsync={fsync}, synchronous_commit={synchronous_commit}; {args.rounds} rounds x {args.writes} "
          f"writes per mode; typical weeks of 5-7 habits")
    for op in ("insert", "update"):
        absent, sync = times[("absent", op)], times[("queued", op)]
        ratio = statistics.median(sync) / statistics.median(absent)
        print(f"legacy {op}: trigger absent median {statistics.median(absent) * 1000:.3f} ms "
              f"(p95 {percentile(absent, 0.95) * 1000:.3f}), trigger on (queued) median {statistics.median(sync) * 1000:.3f} ms "
              f"(p95 {percentile(sync, 0.95) * 1000:.3f}); ratio {ratio:.2f} (target <= 3)")
    print(f"drain: {waiting} writes still queued after the rounds (pg_cron's job may have drained others); "
          f"make sync-drain took {drain_seconds:.2f} s for {drained[0]} writes ({drained[1] + drained[2]} row syncs) "
          f"({drained[0] / drain_seconds if drain_seconds else 0:.0f} writes/s), {drained[2]} failed")
    print(f"drift after {len(synced_ids)} queued inserts and updates: "
          + ("no drift" if not report.drift else f"{len(report.findings)} findings"))
    return 0


if __name__ == "__main__":
    cli_main(main)()
