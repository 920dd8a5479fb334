"""`make bench-backfill ROWS=60000`: the backfill against the set-based floor, in one run.

On a database at head with all indexes in place (DATABASE_URL; the Makefile target starts a
throwaway server), seeds ROWS realistic legacy weeks, then measures side by side:

- floor: every legacy row classified once, then one INSERT ... SELECT per table through the
  same mapping functions into empty copies of the four tables (CREATE TABLE ... (LIKE t
  INCLUDING ALL): same columns, checks and indexes, no foreign keys), in one transaction;
- backfill: `scripts.commands.backfill` as `make backfill` runs it (batches, upserts, quarantine,
  catch-up and invariant check), while a second session keeps updating legacy rows and
  records how long each of its statements took.

Reports rows per second, the ratio backfill / floor (target: at most 1.5) and the longest
statement the concurrent writer saw. Not part of `make test`: timing is never pass/fail.
"""
from __future__ import annotations

import argparse
import random
import threading
import time

from scripts.commands import backfill
from scripts.db.database_url import connect
from scripts.db.errors import UsageError, cli_main
from scripts.commands.seed_legacy import seed

TABLES = ("children", "weeks", "habits", "habit_records")
# The concurrent writer's pace: about 20 legacy updates a second, far above the real app's.
WRITER_PAUSE_SECONDS = 0.05
# The floor places every legacy row once (the same mapping, migration.placement() of 0023, over
# all rows at once), then fills each table with one INSERT ... SELECT.
FLOOR_STATEMENTS = (
    "CREATE TEMP TABLE floor_lines ON COMMIT DROP AS "
    "SELECT * FROM migration.placement(ARRAY(SELECT id FROM habit_tracker))",
    "INSERT INTO bench_floor.children (id, user_id, name, source_version, created_at) "
    "SELECT DISTINCT ON (p.child_id) p.child_id, p.user_id, p.child_name, 'migration', p.created_at "
    "FROM floor_lines p WHERE p.kind = 'week' ORDER BY p.child_id, p.created_at",
    "INSERT INTO bench_floor.weeks (id, user_id, child_id, week_start_date, week_end_date, theme, reflection, reward, "
    "source_version, created_at, updated_at) SELECT p.week_id, p.user_id, p.child_id, p.monday, p.monday + 6, "
    "p.theme, p.reflection, p.reward, 'migration', p.created_at, p.updated_at FROM floor_lines p WHERE p.kind = 'week'",
    "INSERT INTO bench_floor.habits (id, week_id, name, display_order, source_version) "
    "SELECT p.habit_id, p.week_id, p.name, p.display_order, 'migration' FROM floor_lines p WHERE p.kind = 'habit'",
    # user_id: the record's owner, which 0033's trigger sets in the real tables (not copied by LIKE).
    "INSERT INTO bench_floor.habit_records (id, habit_id, record_date, status, source_version, user_id) "
    "SELECT p.record_id, p.habit_id, p.record_date, p.status, 'migration', p.user_id FROM floor_lines p "
    "WHERE p.kind = 'record'",
)


def measure_floor(conn) -> tuple[float, list[int]]:
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS bench_floor CASCADE")
        cur.execute("CREATE SCHEMA bench_floor")
        for table in TABLES:
            cur.execute(f"CREATE TABLE bench_floor.{table} (LIKE public.{table} INCLUDING ALL)")
    conn.commit()
    counts = []
    start = time.monotonic()
    with conn.cursor() as cur:
        cur.execute("SET LOCAL statement_timeout = 0")
        for statement in FLOOR_STATEMENTS:
            cur.execute(statement)
            counts.append(cur.rowcount)
    counts = counts[1:]
    conn.commit()
    elapsed = time.monotonic() - start
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA bench_floor CASCADE")
    conn.commit()
    return elapsed, counts


class ConcurrentWriter(threading.Thread):
    """Updates random legacy rows, one short transaction each, timing every statement."""

    def __init__(self, max_id: int):
        super().__init__(daemon=True)
        self.max_id, self.stop, self.latencies, self.errors = max_id, threading.Event(), [], []

    def run(self) -> None:
        conn = connect()
        rng = random.Random(7)
        with conn.cursor() as cur:
            cur.execute("SET lock_timeout = '5s'")
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    cur.execute("UPDATE habit_tracker SET reward = %s WHERE id = %s", (f"r{rng.random()}", rng.randint(1, self.max_id)))
                except Exception as exc:  # recorded and reported, never hidden
                    self.errors.append(str(exc).splitlines()[0])
                self.latencies.append(time.monotonic() - started)
                time.sleep(WRITER_PAUSE_SECONDS)
        conn.close()


def switch_sync_trigger(conn, value: str) -> str | None:
    """Set the sync trigger's global switch; return its previous value (None before 0012)."""
    with conn.cursor() as cur:
        cur.execute("SELECT value FROM migration.settings WHERE name = 'sync_trigger'")
        row = cur.fetchone()
        if row is not None:
            cur.execute("UPDATE migration.settings SET value = %s WHERE name = 'sync_trigger'", (value,))
    conn.commit()
    return row[0] if row else None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_backfill")
    parser.add_argument("--rows", type=int, default=60000)
    parser.add_argument("--batch", type=int, default=backfill.DEFAULT_BATCH)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        raise UsageError("usage: python -m scripts.bench.bench_backfill [--rows N] [--batch N]") from exc
    conn = connect(autocommit=False)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM habit_tracker")
        existing = cur.fetchone()[0]
    if existing == 0:
        started = time.monotonic()
        seed(conn, args.rows, seed=1)
        conn.commit()
        print(f"seeded {args.rows} legacy rows in {time.monotonic() - started:.1f}s")
    with conn.cursor() as cur:
        cur.execute("ANALYZE")
        cur.execute("SELECT count(*), max(id) FROM habit_tracker")
        legacy_rows, max_id = cur.fetchone()
    conn.commit()

    floor_seconds, counts = measure_floor(conn)
    print(f"floor: INSERT ... SELECT into empty copies: {counts[1]} weeks, {counts[2]} habits, {counts[3]} records "
          f"in {floor_seconds:.2f}s")

    # The backfill belongs to Phase 0: the plan switches the sync trigger (revision 0012) on
    # after it. The writer's updates are plain legacy writes, as they are then.
    sync_switch = switch_sync_trigger(conn, "false")
    writer = ConcurrentWriter(max_id)
    writer.start()
    summary = backfill.run(conn, args.batch, log=lambda line: None)
    writer.stop.set()
    writer.join()
    if sync_switch is not None:
        switch_sync_trigger(conn, sync_switch)
        print("sync trigger switched off during the backfill (Phase 0 order), and back on after")
    conn.close()
    seconds = summary["seconds"]
    print(f"backfill: {summary['legacy_total']} legacy rows ({summary['migrated']} migrated, "
          f"{summary['quarantined_total']} quarantined) in {seconds:.2f}s, {summary['batches']} batches of {args.batch}: "
          f"{legacy_rows / seconds:,.0f} legacy rows/s, "
          f"{(summary['weeks'] + summary['habits'] + summary['records']) / seconds:,.0f} new rows/s")
    print(f"ratio backfill / floor: {seconds / floor_seconds:.2f} (target <= 1.5)")
    longest = max(writer.latencies) if writer.latencies else 0.0
    print(f"concurrent writer: {len(writer.latencies)} legacy updates during the backfill, longest {longest * 1000:.1f} ms, "
          f"{len(writer.errors)} errors")
    return 0


if __name__ == "__main__":
    cli_main(main)()
