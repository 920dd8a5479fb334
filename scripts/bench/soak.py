"""`make soak MINUTES=n`: the plan's 24-hour dual-write stability test, compressed.

    python -m scripts.bench.soak --minutes N [--json] [--clients N] [--think-ms MS]
        [--legacy-pause-ms MS] [--drain-interval S] [--rows N] [--minute-seconds S]

On a database at the dual-write phase's last revision, the one below the freeze (0038)
(DATABASE_URL, a throwaway one only: the soak writes synthetic rows;
without DATABASE_URL it starts its own durable throwaway server `soak`, upgrades it and
removes it afterwards), seeds and backfills a base when habit_tracker is empty, then runs for
N minutes, all at once:
- the endpoint (`make serve`, one uvicorn process) under CLIENTS clients sending the app's
  mix of writes (scripts/bench/api_load.py, as `make bench-api`);
- legacy writes straight to habit_tracker through the sync trigger (scripts/bench/legacy_load.py);
- the drain, every DRAIN_INTERVAL seconds as `make sync-worker` does, measuring each write's
  queue lag (scripts/bench/queue_lag.py);
- at the end of every minute, the drift check of `make drift` (scripts/db/drift.py), over
  every user, while the load goes on (one snapshot; writes still queued are left out).

Each minute prints one line: its drift findings (count, and the rows they name), the queue
lag p50/p99 of the writes drained in it, the endpoint's p95, the errors (endpoint statuses
it should not give, dropped clients, failed legacy writes, drains, rows failing to sync, a
drift check that could not run), and resident memory (scripts/bench/process_memory.py): the
endpoint's RSS, the PostgreSQL server's private memory (RssAnon of the postmaster and every
process under it) and its total (their PSS, the touched part of shared buffers included),
and the machine's 1-minute load average (the cores are shared: a latency reads with it).
After the load stops and the queue is drained, one more drift check, then a summary. Memory
is flat when the mean of the last 10 minutes is within 5% of the mean of minutes 5-15, for
the endpoint's RSS and the server's private memory; judged only when N >= 25 (the two spans
then do not overlap). The server's total is given with its change, not judged: the run keeps
adding weeks, and shared buffers fill with them up to shared_buffers, a fixed allocation.

Exit 0 when every check found no drift, nothing failed and memory was flat (or not judged);
1 otherwise; 2 on usage (MINUTES missing or not a positive integer, a database not at head or
not a throwaway one). JSON (--json): one object per minute, then the summary, one per line.
--minute-seconds shortens the "minute" (for the tests).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager

from scripts.bench.api_load import Load, legacy_users, percentile
from scripts.bench.bench_api import server_version
from scripts.bench.bench_base import seeded_and_backfilled
from scripts.bench.legacy_load import LegacyWriter
from scripts.bench.process_memory import anon_mib, postmaster_of, process_tree, pss_mib, rss_mib
from scripts.bench.queue_lag import Drainer
from scripts.commands.migrate import current_revision, skip_refusal
from scripts.db.database_url import DOTENV, REPO_ROOT, connect, database_url
from scripts.db.drift import detect
from scripts.db.freeze import last_writable_revision
from scripts.db.errors import CheckFailed, OneLineParser, UsageError, cli_main
from scripts.dev import throwaway_pg
from scripts.dual_write.local_server import running_endpoint

USAGE = ("usage: make soak MINUTES=n (a positive integer) [CLIENTS=20] [JSON=1]; "
         "python -m scripts.bench.soak --minutes N [--json] [--minute-seconds S]")
EARLY, LAST = (5, 15), 10  # memory flatness: mean of minutes 5-15 against the last 10
FLAT_SHARE = 0.05
SERVER_NAME = "soak"
NAMED_FINDINGS = 5  # rows named on a minute's line
MEMORY_EVERY_SECONDS = 5


def positive_int(text: str | None) -> int:
    if text is None or not text.strip():
        raise UsageError("MINUTES is missing: make soak MINUTES=n (a positive integer, e.g. 30)")
    if not re.fullmatch(r"[1-9][0-9]*", text.strip()):
        raise UsageError(f"MINUTES must be a positive integer (make soak MINUTES=30), got {text!r}")
    return int(text)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = OneLineParser(prog="soak", add_help=False, usage_line=USAGE)
    parser.add_argument("--minutes")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--think-ms", type=float, default=500)
    parser.add_argument("--legacy-pause-ms", type=float, default=300)
    parser.add_argument("--drain-interval", type=float, default=2.0)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--pool", type=int, default=10)
    parser.add_argument("--minute-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    args.minutes = positive_int(args.minutes)
    if min(args.clients, args.rows, args.pool) < 1 or min(args.think_ms, args.legacy_pause_ms) < 0 \
            or min(args.drain_interval, args.minute_seconds) <= 0:
        raise UsageError("--clients, --rows, --pool must be at least 1, --drain-interval and --minute-seconds "
                         "positive, the pauses not negative")
    return args


@contextmanager
def database():
    """DATABASE_URL when set (environment or .env), else a durable throwaway server of our own at
    the last revision before the freeze."""
    if os.environ.get("DATABASE_URL") or DOTENV.is_file():
        yield database_url()
        return
    url = throwaway_pg.up(SERVER_NAME, durable=True).url()
    try:
        done = subprocess.run([sys.executable, "-m", "scripts.commands.migrate", "upgrade", last_writable_revision()],
                              cwd=REPO_ROOT,
                              env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True)
        if done.returncode != 0:
            raise UsageError(f"upgrading the throwaway server failed: {done.stderr.strip()[-300:]}")
        yield url
    finally:
        throwaway_pg.down(SERVER_NAME)


def require_throwaway_at_head(conn) -> None:
    refusal = skip_refusal(conn)
    if refusal:
        raise UsageError(f"{refusal}: the soak writes synthetic rows, so it runs on throwaway databases only")
    wanted = last_writable_revision()
    current = current_revision(conn)
    conn.rollback()
    if current != wanted:
        raise UsageError(f"the database is at {current or 'base'}, not {wanted} (the dual-write phase's last "
                         f"revision): make upgrade TO={wanted} first")


def named(report) -> list[str]:
    """The rows a drift report's findings name, the first few."""
    return [f"{f.kind} legacy {f.legacy_id if f.legacy_id is not None else '-'}"
            + (f" new {','.join(f.new_ids)}" if f.new_ids else "") for f in report.findings[:NAMED_FINDINGS]]


def drift_check(conn) -> tuple[int | None, list[str], str | None]:
    """(findings, rows named, why it could not run)."""
    try:
        report = detect(conn)
    except Exception as exc:  # a check that cannot run is an error of the minute, not a crash of the soak
        try:
            conn.rollback()
        except Exception:
            pass
        return None, [], f"drift check {type(exc).__name__}: {' '.join(str(exc).split())[:120]}"
    return len(report.findings), named(report), None


def pct(values: list[float], share: float, scale: float = 1.0, digits: int = 3) -> float | None:
    """A percentile, scaled and rounded; None when nothing was measured (JSON has no NaN)."""
    return round(percentile(values, share) * scale, digits) if values else None


def figure(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:.2f}{unit}"


def minute_line(m: dict) -> str:
    drift = "not run" if m["drift"] is None else str(m["drift"])
    if m["drift_rows"]:
        drift += f" ({'; '.join(m['drift_rows'])}{'; ...' if m['drift'] > len(m['drift_rows']) else ''})"
    lag = f"{figure(m['lag_p50_s'], '')}/{figure(m['lag_p99_s'], ' s')} ({m['drained']} drained)"
    errors = str(m["errors"]) + (f" {m['error_kinds']}" if m["errors"] else "")
    pg = (f"private {m['pg_private_mib']:.1f} MiB, total {m['pg_pss_mib']:.1f} MiB" if m["pg_pss_mib"] is not None
          else "n/a (not on this machine)")
    return (f"minute {m['minute']:>3}: drift {drift}; queue lag p50/p99 {lag}; endpoint p95 {figure(m['p95_ms'], ' ms')} "
            f"({m['requests']} requests); legacy writes {m['legacy_writes']}; errors {errors}; "
            f"RSS endpoint {m['endpoint_rss_mib']:.1f} MiB, PostgreSQL {pg}; load {m['load_1min']:.2f}")


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def flatness(minutes: list[dict], key: str) -> dict | None:
    """Mean of minutes 5-15 against the mean of the last 10; None when not judged."""
    if len(minutes) < EARLY[1] + LAST or any(m[key] is None for m in minutes):
        return None
    early = mean([m[key] for m in minutes[EARLY[0] - 1:EARLY[1]]])
    last = mean([m[key] for m in minutes[-LAST:]])
    change = last / early - 1
    return {"early_mib": round(early, 1), "last_mib": round(last, 1), "change": round(change, 4),
            "flat": abs(change) <= FLAT_SHARE}


def summarize(minutes: list[dict], final: dict, lags: list[float], latencies: list[float], writes: Counter) -> dict:
    memory = {name: flatness(minutes, key) for name, key in (("endpoint RSS", "endpoint_rss_mib"),
                                                             ("PostgreSQL private", "pg_private_mib"))}
    total = flatness(minutes, "pg_pss_mib")
    return {
        "minutes": len(minutes), "requests": len(latencies), "p95_ms": pct(latencies, 0.95, 1000, 2),
        "legacy_writes": dict(writes), "drained": sum(m["drained"] for m in minutes) + final["drained"],
        "lag_p50_s": pct(lags, 0.5), "lag_p99_s": pct(lags, 0.99),
        "drift_checks": len(minutes) + 1,
        "checks_with_drift": sum(1 for m in minutes + [final] if m["drift"]),  # a check that did not run is an error
        "errors": sum(m["errors"] for m in minutes) + final["errors"],
        "memory": memory,
        "pg_total": total,
        "memory_judged": len(minutes) >= EARLY[1] + LAST,
        "load_1min_mean": round(mean([m["load_1min"] for m in minutes]), 2),
    }


def summary_lines(s: dict, final: dict) -> list[str]:
    lines = [f"summary: {s['minutes']} minutes, {s['requests']} endpoint requests (p95 {figure(s['p95_ms'], ' ms')}), "
             f"legacy writes {sum(s['legacy_writes'].values())} ({', '.join(f'{k} {v}' for k, v in sorted(s['legacy_writes'].items()))}), "
             f"{s['drained']} drained by the soak (pg_cron's minutely drain, where scheduled, may take a few; queue lag p50 {figure(s['lag_p50_s'], ' s')}, p99 {figure(s['lag_p99_s'], ' s')}); "
             f"errors {s['errors']}; machine load average {s['load_1min_mean']:.2f} (mean of the minutes)",
             f"drift: {s['drift_checks']} checks ({s['minutes']} under load, 1 after it stopped and the queue drained: "
             f"{'not run' if final['drift'] is None else final['drift']} findings), "
             f"{s['checks_with_drift']} with findings"]
    if not s["memory_judged"]:
        lines.append(f"memory: not judged ({s['minutes']} minutes; flatness needs MINUTES >= {EARLY[1] + LAST}: "
                     f"minutes {EARLY[0]}-{EARLY[1]} against the last {LAST})")
    if s["pg_total"]:
        t = s["pg_total"]
        lines.append(f"memory PostgreSQL total (PSS, not judged): minutes {EARLY[0]}-{EARLY[1]} mean {t['early_mib']:.1f} MiB, "
                     f"last {LAST} mean {t['last_mib']:.1f} MiB ({t['change'] * 100:+.1f}%)")
    for name, judged in s["memory"].items():
        if judged:
            lines.append(f"memory {name}: minutes {EARLY[0]}-{EARLY[1]} mean {judged['early_mib']:.1f} MiB, last {LAST} "
                         f"mean {judged['last_mib']:.1f} MiB ({judged['change'] * 100:+.1f}%): "
                         + ("flat" if judged["flat"] else f"NOT flat (more than {FLAT_SHARE * 100:g}%)"))
    return lines


def run(args, url: str, emit) -> dict:
    conn = connect(url, autocommit=False)
    require_throwaway_at_head(conn)
    version = server_version(conn)
    seeded_and_backfilled(conn, args.rows, batch=1000)
    users = legacy_users(conn)
    postmaster = postmaster_of(conn)
    with conn.cursor() as cur:
        cur.execute("SHOW shared_buffers")
        shared_buffers = cur.fetchone()[0]
    conn.rollback()
    secret = secrets.token_urlsafe(32)
    minutes: list[dict] = []
    lags: list[float] = []
    latencies: list[float] = []
    writes: Counter = Counter()
    with running_endpoint(url, secret, pool_size=args.pool) as served:
        load = Load(served, users, secret, args.clients, args.think_ms)
        writer = LegacyWriter(url, args.legacy_pause_ms)
        drainer = Drainer(url, args.drain_interval)
        header = (f"soak on {version}: {args.minutes} minutes of {args.minute_seconds:g} s; {args.clients} endpoint "
                  f"clients (think {args.think_ms:g} ms), legacy writes every {args.legacy_pause_ms:g} ms through the "
                  f"trigger, drained every {args.drain_interval:g} s, drift check every minute; memory: endpoint RSS "
                  f"(its uvicorn process), PostgreSQL private = RssAnon and total = PSS of the postmaster and its processes "
                  f"(shared_buffers {shared_buffers}); load = the machine's 1-minute load average "
                  f"({os.cpu_count()} cores, shared with whatever else runs)")
        emit(header, {"header": header})
        load.start()
        writer.start()
        drainer.start()
        started = time.monotonic()
        try:
            for minute in range(1, args.minutes + 1):
                # Memory every few seconds, the minute's mean: a process that comes and goes (an
                # autovacuum worker, pg_cron's job) weighs by how long it lived. Sampled while
                # the drift check is not running: its temporary tables are no part of the steady state.
                samples = []
                while (left := started + minute * args.minute_seconds - time.monotonic()) > 0:
                    time.sleep(min(MEMORY_EVERY_SECONDS, left))
                    server = process_tree(postmaster) if postmaster else []
                    samples.append((rss_mib(process_tree(served.process.pid)), anon_mib(server), pss_mib(server)))
                window = load.take()
                counts, writer_errors = writer.take()
                minute_lags, drained, drain_errors = drainer.take()
                endpoint_rss, pg_private, pg_pss = (mean([sample[i] for sample in samples]) for i in range(3))
                if not postmaster:
                    pg_private = pg_pss = None
                found, rows, failure = drift_check(conn)
                error_kinds = Counter({k: v for k, v in window.outcomes.items() if k != "ok"})
                error_kinds += writer_errors + drain_errors
                if failure:
                    error_kinds[failure] += 1
                lags += minute_lags
                latencies += window.every
                writes += counts
                m = {"minute": minute, "drift": found, "drift_rows": rows,
                     "lag_p50_s": pct(minute_lags, 0.5), "lag_p99_s": pct(minute_lags, 0.99), "drained": drained,
                     "drained_measured": len(minute_lags), "p95_ms": pct(window.every, 0.95, 1000, 2),
                     "requests": len(window.every), "legacy_writes": sum(counts.values()),
                     "errors": sum(error_kinds.values()), "error_kinds": dict(error_kinds),
                     "endpoint_rss_mib": round(endpoint_rss, 1),
                     "pg_private_mib": round(pg_private, 1) if pg_private is not None else None,
                     "pg_pss_mib": round(pg_pss, 1) if pg_pss is not None else None,
                     "load_1min": round(os.getloadavg()[0], 2)}
                minutes.append(m)
                emit(minute_line(m), m)
        finally:
            load.stop()
            writer.stop()
            drainer.stop()
    tail_window = load.take()
    counts, writer_errors = writer.take()
    tail_lags, drained, drain_errors = drainer.take()
    writes += counts
    found, rows, failure = drift_check(conn)
    conn.close()
    tail_errors = tail_window.errors + sum(writer_errors.values()) + sum(drain_errors.values()) + bool(failure)
    final = {"drift": found, "drift_rows": rows, "drained": drained, "errors": tail_errors}
    if found:
        emit(f"after the run: drift {found} ({'; '.join(rows)})", {"after": final})
    return summarize(minutes, final, lags + tail_lags, latencies, writes) | {"final": final}


def main(argv: list[str]) -> int:
    args = parse(argv)

    def emit(text: str, record: dict) -> None:
        print(json.dumps(record, ensure_ascii=False) if args.json else text, flush=True)

    with database() as url:
        s = run(args, url, emit)
    if args.json:
        print(json.dumps({"summary": s}, ensure_ascii=False))
    else:
        for line in summary_lines(s, s["final"]):
            print(line)
    failed = []
    if s["checks_with_drift"]:
        failed.append(f"drift at {s['checks_with_drift']} of {s['drift_checks']} checks")
    if s["errors"]:
        failed.append(f"{s['errors']} errors")
    failed += [f"{name} memory not flat" for name, judged in s["memory"].items() if judged and not judged["flat"]]
    if failed:
        raise CheckFailed("; ".join(failed))
    return 0


if __name__ == "__main__":
    cli_main(main)()
