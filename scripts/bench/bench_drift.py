"""`make bench-drift ROWS=60000`: the drift check against a naive full comparison, in one run.

On a database at head (the Makefile target starts a throwaway server), seeds ROWS realistic
legacy weeks and backfills them, then times side by side:

- the drift check as `make drift` runs it (the mapping re-evaluated only for the child-weeks
  of rows changed since their sync, a fingerprint per week, row by row only where the
  fingerprints differ, plus children, conflicts, orphans and distributions);
- the same check with `--full` (the mapping re-evaluated for every child-week), for reference;
- the naive check: every expected record from the mapping view EXCEPT ALL the actual records,
  in both directions.

Reports both times and the ratio naive / drift (target: at least 2.5). Not part of
`make test`.
"""
from __future__ import annotations

import argparse
import time

from scripts.bench.bench_base import seeded_and_backfilled
from scripts.db.database_url import connect
from scripts.db.drift import detect
from scripts.db.errors import UsageError, cli_main

NAIVE = """
SELECT count(*) FROM (
    (SELECT id, habit_id, record_date, status FROM migration.expected_records
     EXCEPT ALL SELECT id, habit_id, record_date, status FROM habit_records)
    UNION ALL
    (SELECT id, habit_id, record_date, status FROM habit_records
     EXCEPT ALL SELECT id, habit_id, record_date, status FROM migration.expected_records)
) AS differences
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_drift")
    parser.add_argument("--rows", type=int, default=60000)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of each, best kept")
    parser.add_argument("--no-full", dest="full", action="store_false",
                        help="leave out the --full reference run (it re-maps every child-week: long at 600,000 rows)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        raise UsageError("usage: python -m scripts.bench.bench_drift [--rows N] [--repeat N] [--no-full]") from exc
    conn = connect(autocommit=False)
    seeded_and_backfilled(conn, args.rows, batch=2000)
    with conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM habit_tracker), (SELECT count(*) FROM weeks), "
                    "(SELECT count(*) FROM habit_records)")
        legacy, weeks, records = cur.fetchone()
    conn.commit()
    drift_times, full_times, naive_times = [], [], []
    for _ in range(args.repeat):
        started = time.monotonic()
        report = detect(conn)
        drift_times.append(time.monotonic() - started)
        if args.full:
            started = time.monotonic()
            full_report = detect(conn, full=True)
            full_times.append(time.monotonic() - started)
        started = time.monotonic()
        with conn.cursor() as cur:
            cur.execute("SET statement_timeout = 0")
            cur.execute(NAIVE)
            differences = cur.fetchone()[0]
        conn.rollback()
        naive_times.append(time.monotonic() - started)
    conn.close()
    best_drift, best_naive = min(drift_times), min(naive_times)
    print(f"data: {legacy} legacy rows, {weeks} weeks, {records} records")
    print(f"drift check (full coverage): {best_drift:.2f}s, {len(report.findings)} findings "
          f"(runs: {', '.join(f'{t:.2f}' for t in drift_times)}; {report.checked['remapped']} rows re-mapped)")
    if args.full:
        print(f"drift check --full (every child-week re-mapped): {min(full_times):.2f}s, {len(full_report.findings)} findings "
              f"(runs: {', '.join(f'{t:.2f}' for t in full_times)})")
    else:
        print("drift check --full: not run (--no-full)")
    print(f"naive EXCEPT ALL both ways over all records: {best_naive:.2f}s, {differences} differences "
          f"(runs: {', '.join(f'{t:.2f}' for t in naive_times)})")
    print(f"ratio naive / drift: {best_naive / best_drift:.2f} (target >= 2.5)")
    return 0


if __name__ == "__main__":
    cli_main(main)()
