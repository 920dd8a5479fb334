"""`make bench-api`: the dual-write endpoint under load, measured on loopback.

On a database at head (the Makefile target starts a durable throwaway server: fsync and
synchronous_commit on), seeds and backfills a base, starts `make serve` (one uvicorn
process, DB_POOL_SIZE connections) and runs CLIENTS concurrent clients for SECONDS. Each
client is one signed-in parent on a keep-alive connection, sending the app's mix of writes
to their own child's weeks, then pausing THINK_MS as a person between taps does:

    update_habit_record 70%, create_week 15%, delete_week 5% (of a week it created),
    a retry of its previous request with the same key 8% (must replay), verify_consistency 2%.

The first WARMUP seconds are run but not timed: every client's first request creates its
child's first week at the same instant, on connections that have not prepared or planned
anything yet; the report gives that burst's count and p95 on a line of its own. Errors
count from the first request. Reports p50/p95/p99 latency per operation and overall for the
SECONDS after it, the throughput, the error rate (any 5xx, or a status the operation should
not give) and then runs the drift check over the whole database. Target: p95 <= 20 ms, 0
errors, no drift. Not part of `make test`.
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import threading
import time
from collections import Counter, defaultdict
from datetime import date, timedelta

from scripts.bench.bench_base import seeded_and_backfilled
from scripts.bench.cpu_usage import Sampler, children, processes_named
from scripts.db.database_url import connect, database_url
from scripts.db.drift import detect
from scripts.dual_write.client import Client, user_token
from scripts.dual_write.local_server import running_endpoint
from scripts.db.errors import CheckFailed, UsageError, cli_main

MIX = (("update_habit_record", 0.70), ("create_week", 0.15), ("delete_week", 0.05), ("retry", 0.08),
       ("verify_consistency", 0.02))
EXPECTED = {"create_week": {201}, "update_habit_record": {200}, "delete_week": {200}, "verify_consistency": {200}}
STATUSES = ("green", "yellow", "red", "none", "")
HABIT_NAMES = ("독서", "줄넘기", "양치하기", "피아노", "운동", "일기 쓰기")
FIRST_MONDAY = date(2031, 1, 6)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


class Parent:
    """One client: a user with one child of their own, its weeks, and the last request sent."""

    def __init__(self, number: int, user_id: str, url: str, secret: str, seed: int):
        self.rng = random.Random(seed)
        self.client = Client(url, user_token(user_id, secret))
        self.child, self.number = f"부하-{number}", number
        self.weeks: dict[date, list[str]] = {}
        self.next_monday = FIRST_MONDAY
        self.sent = 0
        self.last: tuple[str, dict, str] | None = None

    def pick(self) -> str:
        """One draw from MIX."""
        roll, total = self.rng.random(), 0.0
        for kind, share in MIX:
            total += share
            if roll < total:
                return kind
        return MIX[0][0]

    def request(self, kind: str) -> tuple[str, dict]:
        """A new request of this kind (a create when the client has no week yet)."""
        if not self.weeks or kind == "create_week":
            monday, self.next_monday = self.next_monday, self.next_monday + timedelta(weeks=1)
            names = self.rng.sample(HABIT_NAMES, self.rng.randint(5, 6))
            self.weeks[monday] = names
            habits = [{"id": i + 1, "name": name, "times": [self.rng.choice(STATUSES) for _ in range(7)]}
                      for i, name in enumerate(names)]
            return "create_week", {"child_name": self.child, "week_start_date": monday.isoformat(), "habits": habits,
                                   "theme": "부하 시험"}
        if kind == "delete_week" and len(self.weeks) > 1:
            monday = self.rng.choice(list(self.weeks))
            del self.weeks[monday]
            return "delete_week", {"child_name": self.child, "week_start_date": monday.isoformat()}
        if kind == "verify_consistency":
            return "verify_consistency", {}
        monday = self.rng.choice(list(self.weeks))
        return "update_habit_record", {"child_name": self.child, "week_start_date": monday.isoformat(),
                                       "habit_name": self.rng.choice(self.weeks[monday]),
                                       "day_index": self.rng.randrange(7), "status": self.rng.choice(STATUSES)}

    def step(self) -> tuple[str, int, float, bool]:
        """(operation, status, seconds, as expected)."""
        kind = self.pick()
        if kind == "retry" and self.last:
            operation, data, key = self.last
            label = "retry"
        else:
            operation, data = self.request(kind)
            self.sent += 1
            key = f"client{self.number}-{self.sent}"
            label = operation
        started = time.perf_counter()
        status, _ = self.client.call(operation, data, key)
        elapsed = time.perf_counter() - started
        if operation != "verify_consistency":
            self.last = (operation, data, key)
        return label, status, elapsed, status in EXPECTED[operation]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_api")
    parser.add_argument("--rows", type=int, default=2000, help="legacy rows seeded and backfilled first")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5, help="seconds run before the timed SECONDS, not timed")
    parser.add_argument("--think-ms", type=float, default=500, help="each client's pause between requests")
    parser.add_argument("--pool", type=int, default=10, help="the endpoint's DB_POOL_SIZE")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        raise UsageError("usage: python -m scripts.bench.bench_api [--rows N] [--clients N] [--seconds S] [--warmup S] "
                         "[--think-ms MS]") from exc
    conn = connect(autocommit=False)
    seeded_and_backfilled(conn, args.rows, batch=1000)
    with conn.cursor() as cur:
        cur.execute("SELECT DISTINCT user_id::TEXT FROM habit_tracker WHERE user_id IS NOT NULL ORDER BY 1")
        users = [row[0] for row in cur.fetchall()]
    conn.commit()
    secret = secrets.token_urlsafe(32)
    results: dict = defaultdict(list)
    warmup: list[float] = []
    outcomes: Counter = Counter()
    lock = threading.Lock()
    stop, timing = threading.Event(), threading.Event()

    def client_loop(parent: Parent) -> None:
        try:
            while not stop.is_set():
                label, status, seconds, expected = parent.step()
                with lock:
                    (results[label] if timing.is_set() else warmup).append(seconds)
                    outcomes["ok" if expected else f"{label} {status}"] += 1
                time.sleep(args.think_ms / 1000 * parent.rng.uniform(0.5, 1.5))
        except Exception as exc:  # a dropped connection is an error of the run, not a crash of the bench
            with lock:
                outcomes[f"client error {type(exc).__name__}"] += 1
        finally:
            parent.client.close()

    with running_endpoint(database_url(), secret, pool_size=args.pool) as url:
        parents = [Parent(n, users[n % len(users)], url, secret, seed=n) for n in range(args.clients)]
        threads = [threading.Thread(target=client_loop, args=(p,)) for p in parents]
        cpu = Sampler({"load generator": lambda: [os.getpid()], "endpoint": lambda: children(os.getpid()),
                       "PostgreSQL": lambda: processes_named("postgres")})
        for thread in threads:
            thread.start()
        time.sleep(args.warmup)
        cpu.start()
        started = time.perf_counter()
        timing.set()
        time.sleep(args.seconds)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        cpu_used = cpu.stop()
    report = detect(conn)
    conn.close()

    every = [s for values in results.values() for s in values]
    if not every:
        raise CheckFailed(f"no request completed: {dict(outcomes)}")
    errors = sum(count for outcome, count in outcomes.items() if outcome != "ok")
    print(f"{args.clients} clients for {elapsed:.1f} s on loopback after {args.warmup:g} s of warm-up, think time "
          f"{args.think_ms:g} ms (0.5-1.5x), one uvicorn process, DB_POOL_SIZE={args.pool}")
    if warmup:
        print(f"  warm-up (not timed)  {len(warmup):>6} requests  p95 {percentile(warmup, 0.95) * 1000:6.2f} ms  "
              f"max {max(warmup) * 1000:6.2f} ms")
    for label in sorted(results, key=lambda k: -len(results[k])):
        values = results[label]
        print(f"  {label:<20} {len(values):>6} requests  p50 {statistics.median(values) * 1000:6.2f} ms  "
              f"p95 {percentile(values, 0.95) * 1000:6.2f} ms  p99 {percentile(values, 0.99) * 1000:6.2f} ms")
    print(f"  {'all':<20} {len(every):>6} requests  p50 {statistics.median(every) * 1000:6.2f} ms  "
          f"p95 {percentile(every, 0.95) * 1000:6.2f} ms  p99 {percentile(every, 0.99) * 1000:6.2f} ms "
          f"(target p95 <= 20 ms)")
    print(f"throughput {len(every) / elapsed:.0f} requests/s; errors {errors} "
          f"({errors / (len(every) + len(warmup)) * 100:.2f}% of all {len(every) + len(warmup)}, warm-up included)"
          f"{': ' + str(dict(outcomes)) if errors else ''}")
    cores = os.cpu_count() or 1
    print(f"CPU during the run ({cores} cores = {cores * elapsed:.0f} core-seconds): " + ", ".join(
        f"{group} {seconds:.1f} s ({seconds / len(every) * 1000:.1f} ms/request)" for group, seconds in cpu_used.items()))
    print("drift after the run: " + ("no drift" if not report.drift else
                                      f"{len(report.findings)} findings {Counter(f.kind for f in report.findings)}"))
    if errors or report.drift:
        raise CheckFailed("the run had errors or left drift")
    return 0


if __name__ == "__main__":
    cli_main(main)()
