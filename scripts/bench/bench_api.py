"""`make bench-api`: the dual-write endpoint under load, measured on loopback.

On a database at head (the Makefile target starts a durable throwaway server: fsync and
synchronous_commit on), seeds and backfills a base, starts `make serve` (one uvicorn
process, DB_POOL_SIZE connections) and runs CLIENTS concurrent clients for SECONDS: the
load of scripts/bench/api_load.py (the app's mix of writes, each client one signed-in parent
pausing THINK_MS between requests).

The first WARMUP seconds are run but not timed: every client's first request creates its
child's first week at the same instant, on connections that have not prepared or planned
anything yet; the report gives that burst's count and p95 on a line of its own. Errors
count from the first request. Reports p50/p95/p99 latency per operation and overall for the
SECONDS after it, the throughput, the error rate (any 5xx, or a status the operation should
not give) and then runs the drift check over the whole database. Target: p95 <= 20 ms, 0
errors, no drift. Not part of `make test`.

--summary FILE also writes the server version and the overall figures as JSON, for
`make bench-api PGS="15 17"` (scripts/bench/compare_majors.py prints the majors side by side).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import secrets
import time
from collections import Counter
from pathlib import Path

from scripts.bench.api_load import Load, legacy_users, percentile
from scripts.bench.bench_base import seeded_and_backfilled
from scripts.bench.cpu_usage import Sampler, children, processes_named
from scripts.bench.process_memory import postmaster_of, process_tree
from scripts.db.database_url import connect, database_url
from scripts.db.drift import detect
from scripts.dual_write.local_server import running_endpoint
from scripts.db.errors import CheckFailed, UsageError, cli_main


def server_version(conn) -> str:
    with conn.cursor() as cur:
        cur.execute("SHOW server_version")
        version = f"PostgreSQL {cur.fetchone()[0].split()[0]}"
    conn.commit()
    return version


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_api")
    parser.add_argument("--rows", type=int, default=2000, help="legacy rows seeded and backfilled first")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5, help="seconds run before the timed SECONDS, not timed")
    parser.add_argument("--think-ms", type=float, default=500, help="each client's pause between requests")
    parser.add_argument("--pool", type=int, default=10, help="the endpoint's DB_POOL_SIZE")
    parser.add_argument("--summary", type=Path, help="also write the overall figures here, as JSON")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        raise UsageError("usage: python -m scripts.bench.bench_api [--rows N] [--clients N] [--seconds S] [--warmup S] "
                         "[--think-ms MS] [--pool N] [--summary FILE]") from exc
    conn = connect(autocommit=False)
    version = server_version(conn)
    seeded_and_backfilled(conn, args.rows, batch=1000)
    users = legacy_users(conn)
    secret = secrets.token_urlsafe(32)
    # This server's processes only: other servers on a shared machine are no part of the run.
    postmaster = postmaster_of(conn)
    server = (lambda: process_tree(postmaster)) if postmaster else (lambda: processes_named("postgres"))

    with running_endpoint(database_url(), secret, pool_size=args.pool) as url:
        load = Load(url, users, secret, args.clients, args.think_ms)
        cpu = Sampler({"load generator": lambda: [os.getpid()], "endpoint": lambda: children(os.getpid()),
                       "PostgreSQL": server})
        load.start()
        time.sleep(args.warmup)
        load_before = os.getloadavg()[0]
        cpu.start()
        warm = load.take()
        started = time.perf_counter()
        time.sleep(args.seconds)
        load.stop()
        timed = load.take()
        elapsed = time.perf_counter() - started
        cpu_used = cpu.stop()
        load_after = os.getloadavg()[0]
    report = detect(conn)
    conn.close()

    results, warmup = timed.samples, warm.every
    outcomes = warm.outcomes + timed.outcomes
    every = timed.every
    if not every:
        raise CheckFailed(f"no request completed: {dict(outcomes)}")
    errors = warm.errors + timed.errors
    print(f"{args.clients} clients for {elapsed:.1f} s on loopback after {args.warmup:g} s of warm-up, think time "
          f"{args.think_ms:g} ms (0.5-1.5x), one uvicorn process, DB_POOL_SIZE={args.pool}; {version}")
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
    print(f"machine load average (1 min, {cores} cores, shared with whatever else runs): {load_before:.2f} at the "
          f"start, {load_after:.2f} at the end")
    print("drift after the run: " + ("no drift" if not report.drift else
                                      f"{len(report.findings)} findings {Counter(f.kind for f in report.findings)}"))
    if args.summary:
        args.summary.parent.mkdir(parents=True, exist_ok=True)
        args.summary.write_text(json.dumps({
            "server": version, "clients": args.clients, "seconds": round(elapsed, 1), "requests": len(every),
            "throughput": round(len(every) / elapsed, 1), "p50_ms": round(statistics.median(every) * 1000, 2),
            "p95_ms": round(percentile(every, 0.95) * 1000, 2), "p99_ms": round(percentile(every, 0.99) * 1000, 2),
            "errors": errors, "drift_findings": len(report.findings),
            "load_1min": f"{load_before:.1f}-{load_after:.1f}",
            "pg_cpu_ms_per_request": round(cpu_used["PostgreSQL"] / len(every) * 1000, 1)}) + "\n")
    if errors or report.drift:
        raise CheckFailed("the run had errors or left drift")
    return 0


if __name__ == "__main__":
    cli_main(main)()
