"""`make bench-api PGS="15 17"`: the bench-api figures of each major, side by side.

    python -m scripts.bench.compare_majors SUMMARY.json...

Each file is what `bench_api --summary` wrote for one major's run (the Makefile runs them back
to back, each on its own throwaway server). Prints one column per server and the target
(p95 <= 20 ms, 0 errors, no drift) met or not, with the server's CPU per request and the
machine's load average during the run (on shared cores the latency follows the load; the CPU
a request costs the server much less); exit 1 when a run misses it or left no summary
(its run failed before the end), 2 on usage.
"""
from __future__ import annotations

import json
from pathlib import Path

from scripts.db.errors import CheckFailed, UsageError, cli_main

P95_TARGET_MS = 20.0
ROWS = (("requests", "requests"), ("throughput", "requests/s"), ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms"),
        ("p99_ms", "p99 ms"), ("errors", "errors"), ("drift_findings", "drift findings"),
        ("pg_cpu_ms_per_request", "PG CPU ms/req"), ("load_1min", "machine load"))


def meets_target(run: dict) -> bool:
    return run["p95_ms"] <= P95_TARGET_MS and run["errors"] == 0 and run["drift_findings"] == 0


def table(runs: list[dict]) -> str:
    width = max(18, *(len(run["server"]) + 2 for run in runs))
    lines = [f"{'':<16}" + "".join(f"{run['server']:>{width}}" for run in runs)]
    for key, label in ROWS:
        lines.append(f"{label:<16}" + "".join(f"{run.get(key, '-'):>{width}}" for run in runs))
    lines.append(f"{'target met':<16}" + "".join(f"{'yes' if meets_target(run) else 'NO':>{width}}" for run in runs))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv:
        raise UsageError("usage: python -m scripts.bench.compare_majors SUMMARY.json...")
    runs, missing = [], []
    for name in argv:
        path = Path(name)
        if not path.is_file():
            missing.append(path.stem)
            continue
        try:
            runs.append(json.loads(path.read_text()))
        except ValueError as exc:
            raise UsageError(f"{path}: not a bench_api summary ({exc})") from None
    if runs:
        print(f"bench-api, {runs[0]['clients']} clients, target p95 <= {P95_TARGET_MS:g} ms, 0 errors, no drift")
        print(table(runs))
    if missing:
        raise CheckFailed(f"no figures for {', '.join(missing)}: its run failed before the end (see above)")
    if not all(meets_target(run) for run in runs):
        raise CheckFailed("a major misses the target: " + ", ".join(r["server"] for r in runs if not meets_target(r)))
    return 0


if __name__ == "__main__":
    cli_main(main)()
