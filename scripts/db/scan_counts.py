"""How a piece of work scanned the four tables the read functions read, from the statistics.

EXPLAIN of `SELECT public.week_as_legacy(...)` shows one Result node: the plans inside a
function are not part of the caller's. What the function's queries did is counted in
pg_stat_user_tables (seq_scan, idx_scan per table), which a backend publishes when it exits
(or, idle, at most once a second). So the work runs on its own connection, which is then
closed, and the counts are read until that backend's share has arrived: its index scans show
(every read does some), then its sequential scans are final.
"""
from __future__ import annotations

import time
from collections.abc import Callable

READ_TABLES = ("children", "weeks", "habits", "habit_records")
WAIT_SECONDS = 10.0

COUNTS = """
SELECT relname, seq_scan, coalesce(idx_scan, 0) FROM pg_stat_user_tables
WHERE schemaname = 'public' AND relname = ANY(%s)"""


def counts(conn) -> dict[str, tuple[int, int]]:
    """{table: (seq_scan, idx_scan)} as published now."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute(COUNTS, (list(READ_TABLES),))
        found = {name: (seq, idx) for name, seq, idx in cur.fetchall()}
    if not conn.autocommit:
        conn.rollback()
    return found


def scans_during(observer, open_worker: Callable, work: Callable) -> dict[str, tuple[int, int]]:
    """{table: (sequential scans, index scans)} that `work(worker_conn)` made; `observer` is
    another connection. The worker connection is opened by `open_worker()` and closed here."""
    before = counts(observer)
    worker = open_worker()
    try:
        work(worker)
    finally:
        worker.close()
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        after = counts(observer)
        delta = {t: (after[t][0] - before[t][0], after[t][1] - before[t][1]) for t in READ_TABLES}
        if sum(idx for _, idx in delta.values()) > 0 or time.monotonic() > deadline:
            return delta
        time.sleep(0.1)
