"""`make perf-baseline`: the app's eight reads, measured at 1x, 10x, 100x and 1000x the backup.

    python -m scripts.bench.perf_baseline measure --scale S --out FILE [--runs N] [--before REV]
    python -m scripts.bench.perf_baseline summary FILE...

`measure` (on a database at head with an EMPTY habit_tracker: the Makefile target gives each
scale its own throwaway server) seeds 34 x S legacy weeks with the generator of #4, backfills
them, ANALYZEs, and times each query of scripts/app_queries.py as the app will send it after
Phase 2 (role authenticated, the typical user's JWT claims, RLS on): three warm-up runs, then
RUNS timed runs, median and p95. It measures twice in the same run: with the policies as
they were before the revision that rewrote them for the planner (the revision whose verify
module sets PERF_BASELINE in migrations/verify/; "before" is its down_revision, or --before
REV: the database is taken down to it and back up for this), and at head. For each query it
prints the plan's access path (every scan: table and index) and names any scan that reads a
large share of a large table, where an index should serve a user's rows:

    SCANS habit_records: read 44,369 of 44,369 rows for 3

Then, at head, the week read both ways in the same run (issue #20, point 7): through
public.week_as_legacy() (0031) and as the app reads it today, the legacy row by child and
week_period, for the same user and week (WEEK_READS), alternating call by call (RUNS x 10
rounds), median and p95 each and the ratio of the medians (goal: at most 2x at 1000x). The
function's own queries are not in the EXPLAIN of its call, so its scans are counted from
pg_stat_user_tables (scripts/db/scan_counts.py): a sequential scan there of children, weeks,
habits or habit_records holding LARGE_TABLE_ROWS or more fails the run like a large scan above.

That is measured, not extrapolated: each scale is its own database, generated and backfilled.
`summary` prints the medians of every scale side by side. Exit 1 when a query at head still
scans a large table, 2 for usage or database problems.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from alembic.script import ScriptDirectory

from scripts.db.app_queries import QUERIES, WEEK_READS, as_app_user, legacy_week, parameters, typical_user
from scripts.db.scan_counts import scans_during
from scripts.commands.backfill import run as backfill
from scripts.db.database_url import REPO_ROOT, connect
from scripts.db.freeze import last_writable_revision
from scripts.db.errors import CheckFailed, OneLineParser, UsageError, cli_main
from scripts.commands.seed_legacy import seed
from scripts.commands.migrate import alembic_config
from scripts.commands.verify import revision_list, steps

USAGE = ("usage: python -m scripts.bench.perf_baseline measure --scale S --out FILE [--runs N] [--before REV]"
         " | summary FILE...")
BACKUP_WEEKS = 34  # the real backup's rows (SCHEMA_FACTS §1)
WARMUP = 3
LARGE_TABLE_ROWS = 10_000  # below this a whole-table read is cheap whatever the plan
LARGE_SHARE = 0.2  # a scan reading more than this share of a large table is named
# The two week reads are sub-millisecond: RUNS x this many rounds of one call each, alternating,
# so that the ratio of their medians does not depend on what else the machine did meanwhile.
WEEK_READ_ROUNDS = 10


def baseline() -> tuple[str, str]:
    """(the revision perf-baseline measures, the one before it): the revision whose verify
    module sets PERF_BASELINE (the latest, should there be several) and its down_revision."""
    script = ScriptDirectory.from_config(alembic_config())
    marked = steps.marked(revision_list(script), "PERF_BASELINE")
    if not marked:
        raise UsageError("no revision's verify module sets PERF_BASELINE: nothing to measure before and after")
    measured = script.get_revision(marked[-1])
    return measured.revision, measured.down_revision


def scans(plan: dict, found: list | None = None) -> list[dict]:
    """Every scan node of an EXPLAIN (ANALYZE, FORMAT JSON) plan, with the rows it read."""
    found = [] if found is None else found
    if "Scan" in plan["Node Type"] and plan.get("Relation Name"):
        loops = plan.get("Actual Loops", 1)
        # Per-loop averages: PostgreSQL 18 gives "Actual Rows" with two decimals (15 and 17 round it
        # to a whole number per loop), so the product is rounded to whole rows.
        read = round((plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
                      + plan.get("Rows Removed by Index Recheck", 0)) * loops)
        found.append({"node": plan["Node Type"], "table": plan["Relation Name"],
                      "index": plan.get("Index Name") or ", ".join(bitmap_indexes(plan)) or None, "read": read})
    for child in plan.get("Plans", []):
        scans(child, found)
    return found


def bitmap_indexes(plan: dict) -> list[str]:
    """The indexes under a Bitmap Heap Scan (through BitmapAnd/BitmapOr)."""
    names = [plan["Index Name"]] if plan["Node Type"] == "Bitmap Index Scan" else []
    for child in plan.get("Plans", []):
        if child["Node Type"].startswith("Bitmap"):
            names += bitmap_indexes(child)
    return names


def access_path(found: list[dict]) -> str:
    return ", ".join(f"{s['node']} {s['table']}" + (f" ({s['index']})" if s["index"] else "") for s in found)


def table_rows(cur) -> dict[str, int]:
    cur.execute("""SELECT relname, n_live_tup FROM pg_stat_user_tables
                   WHERE schemaname = 'public' AND relname = ANY(%s)""",
                (["children", "weeks", "habits", "habit_records"],))
    return dict(cur.fetchall())


def large_scans(found: list[dict], sizes: dict[str, int]) -> list[str]:
    named = []
    for s in found:
        size = sizes.get(s["table"], 0)
        if size >= LARGE_TABLE_ROWS and s["read"] > LARGE_SHARE * size:
            named.append(f"{s['table']}: read {s['read']:,} of {size:,} rows")
    return named


def measure_queries(conn, user_id: str, params: dict, runs: int, sizes: dict[str, int], queries=QUERIES,
                    interleaved: bool = False) -> dict:
    """Each query WARMUP + `runs` times as the app user, then its EXPLAIN. One query after the
    other; `interleaved`: in rounds of one call of each, so that whatever else the machine does
    falls on all of them alike (a ratio between them is then the queries', not the moment's)."""
    timings: dict[str, list[float]] = {query.name: [] for query in queries}
    rows: dict[str, int] = {}

    def timed(cur, query, attempt: int) -> None:
        started = time.perf_counter()
        cur.execute(query.text, params)
        rows[query.name] = len(cur.fetchall())
        if attempt >= WARMUP:
            timings[query.name].append((time.perf_counter() - started) * 1000)

    with as_app_user(conn, user_id) as cur:
        if interleaved:
            for attempt in range(WARMUP + runs):
                for query in queries:
                    timed(cur, query, attempt)
        else:
            for query in queries:
                for attempt in range(WARMUP + runs):
                    timed(cur, query, attempt)
        results = {}
        for query in queries:
            cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query.text, params)
            found = scans(cur.fetchone()[0][0]["Plan"])
            ordered = sorted(timings[query.name])
            results[query.name] = {"description": query.description, "rows": rows[query.name],
                                   "median_ms": statistics.median(ordered),
                                   "p95_ms": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
                                   "access_path": access_path(found), "large_scans": large_scans(found, sizes)}
    return results


def migrate(target: str, direction: str) -> None:
    # Back up to head across the RLS stages, which refuse while the Phase 2 gate fails: the
    # generated rows without a user are unresolved, and going down to `before` dropped the
    # decisions (0024) that could resolve them. A benchmark's throwaway database (migrate
    # refuses the skip anywhere else); it measures the reads, not the gate.
    skip = ["-x", "gate=skip"] if direction == "upgrade" else []
    done = subprocess.run([sys.executable, "-m", "scripts.commands.migrate", direction, target, *skip],
                          cwd=REPO_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise UsageError(f"{direction} to {target} failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")


def measure(scale: int, out: Path, runs: int, before: str) -> int:
    conn = connect(autocommit=False)
    started = time.perf_counter()
    summary = seed(conn, BACKUP_WEEKS * scale, seed=1)
    conn.commit()
    backfill(conn, 5000, log=lambda line: None)
    with conn.cursor() as cur:
        cur.execute("ANALYZE")
    conn.commit()
    prepared = time.perf_counter() - started
    with conn.cursor() as cur:
        sizes = table_rows(cur)
        user_id = typical_user(cur)
        params = parameters(cur, user_id)
    conn.commit()
    conn.close()
    variants = {}
    # "head": the last revision before the freeze (0038), where the legacy table, which the
    # comparison reads, is still the app's; the freeze changes none of the eight reads.
    for label, target, direction in ((f"before ({before})", before, "downgrade"),
                                     ("head", last_writable_revision(), "upgrade")):
        migrate(target, direction)
        variant_conn = connect(autocommit=False)
        try:
            variants[label] = measure_queries(variant_conn, user_id, params, runs, sizes)
        finally:
            variant_conn.close()
    result = {"scale": scale, "legacy_rows": summary["rows"], "users": summary["users"], "table_rows": sizes,
              "prepare_seconds": round(prepared, 1), "runs": runs, "variants": variants,
              "week_reads": measure_week_reads(user_id, runs, sizes)}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    print_scale(result)
    still_scanning = [name for name, r in variants["head"].items() if r["large_scans"]]
    if result["week_reads"]["function_seq_scans"]:
        still_scanning.append("week_as_legacy")
    if still_scanning:
        raise CheckFailed(f"at head, {', '.join(still_scanning)} still read most of a large table")
    return 0


def measure_week_reads(user_id: str, runs: int, sizes: dict[str, int]) -> dict:
    """At head: one week read through week_as_legacy() and as the legacy row, same user and
    week, alternating call by call in the same run (RUNS x WEEK_READ_ROUNDS rounds); the ratio
    of the medians; and the sequential scans the function's own queries made (its plans are not
    in the caller's EXPLAIN: scan_counts)."""
    conn = connect(autocommit=False)
    try:
        with conn.cursor() as cur:
            week = legacy_week(cur, user_id)
        conn.rollback()
        reads = measure_queries(conn, user_id, week, runs * WEEK_READ_ROUNDS, sizes, WEEK_READS, interleaved=True)
        conn.autocommit = True

        def calls(worker) -> None:
            with as_app_user(worker, user_id) as cur:
                for _ in range(runs):
                    cur.execute(WEEK_READS[0].text, week)

        scanned = scans_during(conn, lambda: connect(autocommit=False), calls)
    finally:
        conn.close()
    ratio = reads["week_as_legacy"]["median_ms"] / reads["legacy_row"]["median_ms"]
    return {"week": {k: str(v) for k, v in week.items()}, "reads": reads, "ratio": round(ratio, 2),
            "function_scans": {t: {"seq": s, "idx": i} for t, (s, i) in scanned.items()},
            "function_seq_scans": [t for t, (s, _) in scanned.items() if s and sizes.get(t, 0) >= LARGE_TABLE_ROWS]}


def print_week_reads(result: dict) -> None:
    week = result["week_reads"]
    print(f"  the week read both ways at head ({week['week']['child_name']}, {week['week']['monday']}), "
          "median/p95 ms:")
    for name, read in week["reads"].items():
        print(f"  {name:<15} {read['median_ms']:>8.2f} / {read['p95_ms']:<7.2f}  {read['description']}")
    scans = ", ".join(f"{t} {c['seq']} seq/{c['idx']} idx" for t, c in week["function_scans"].items())
    goal = "" if result["scale"] < 1000 else (": met" if week["ratio"] <= 2 else ": NOT met")
    print(f"      week_as_legacy / legacy row: {week['ratio']:.2f}x (goal <= 2x at 1000x{goal}); "
          f"{result['runs'] * WEEK_READ_ROUNDS} rounds; its scans over {result['runs']} calls: {scans}")


def print_scale(result: dict) -> None:
    sizes = ", ".join(f"{table} {rows:,}" for table, rows in result["table_rows"].items())
    print(f"\n== {result['scale']}x the backup: {result['legacy_rows']:,} legacy weeks, {result['users']:,} users; "
          f"{sizes} (seeded and backfilled in {result['prepare_seconds']} s); {result['runs']} timed runs each, "
          "as role authenticated with RLS on")
    (before_label, before), (_, head) = result["variants"].items()
    print(f"  {'query':<15} {'rows':>5}  {before_label + ' median/p95 ms':>40}  {'head median/p95 ms':>20}")
    for name, now in head.items():
        was = before[name]
        print(f"  {name:<15} {now['rows']:>5}  {was['median_ms']:>30.2f} / {was['p95_ms']:<7.2f}  "
              f"{now['median_ms']:>10.2f} / {now['p95_ms']:<7.2f}")
        print(f"      head: {now['access_path']}")
        for scan in now["large_scans"]:
            print(f"      SCANS {scan}")
        for scan in was["large_scans"]:
            print(f"      before: SCANS {scan}")
    print_week_reads(result)


def summary(files: list[Path]) -> int:
    results = sorted((json.loads(f.read_text()) for f in files), key=lambda r: r["scale"])
    if not results:
        raise UsageError("no measurement files given")
    scales = [f"{r['scale']}x" for r in results]
    (before_label, _), _ = results[0]["variants"].items()
    before = before_label.removeprefix("before (").removesuffix(")")
    print(f"\nMedian ms at each scale (before = policies of {before}; head = {baseline()[0]}'s), "
          "as role authenticated, RLS on")
    print(f"  {'query':<15} " + " ".join(f"{s + ' before':>13} {s + ' head':>11}" for s in scales))
    for query in QUERIES:
        cells = []
        for r in results:
            cells.append(f"{r['variants'][before_label][query.name]['median_ms']:>13.2f} "
                         f"{r['variants']['head'][query.name]['median_ms']:>11.2f}")
        print(f"  {query.name:<15} " + " ".join(cells))
    print("\nThe week read both ways at head, median/p95 ms (week_as_legacy / legacy row)")
    for r in results:
        reads = r["week_reads"]["reads"]
        print(f"  {r['scale']:>5}x  week_as_legacy {reads['week_as_legacy']['median_ms']:.2f} / "
              f"{reads['week_as_legacy']['p95_ms']:.2f}   legacy_row {reads['legacy_row']['median_ms']:.2f} / "
              f"{reads['legacy_row']['p95_ms']:.2f}   ratio {r['week_reads']['ratio']:.2f}x")
    return 0


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="perf_baseline", usage_line=USAGE)
    parser.add_argument("command", choices=("measure", "summary"))
    parser.add_argument("files", type=Path, nargs="*", help="summary: the files `measure` wrote")
    parser.add_argument("--scale", type=int)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--before", help="the revision to measure before (default: the down_revision of the "
                        "revision marked PERF_BASELINE in migrations/verify/)")
    args = parser.parse_args(argv)
    if args.command == "summary":
        return summary(args.files)
    if args.scale is None or args.out is None or args.files:
        raise UsageError(USAGE)
    if args.scale < 1 or args.runs < 1:
        raise UsageError("--scale and --runs must be at least 1")
    return measure(args.scale, args.out, args.runs, args.before or baseline()[1])


if __name__ == "__main__":
    cli_main(main)()
