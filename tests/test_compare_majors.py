"""`make bench-api PGS="15 17"`'s side-by-side table (scripts/bench/compare_majors.py): one column
per major, the target judged per major, exit 1 when one misses it or left no figures, 2 with
no file. No database."""
from __future__ import annotations

import json

from helpers import run_in_process

RUN = {"clients": 50, "seconds": 30.1, "requests": 2800, "throughput": 93.0, "p50_ms": 8.1, "p95_ms": 17.5,
       "p99_ms": 25.0, "errors": 0, "drift_findings": 0, "load_1min": "1.1-1.3"}


def summaries(tmp_path, **majors):
    paths = []
    for name, changes in majors.items():
        path = tmp_path / f"{name}.json"
        if changes is not None:
            path.write_text(json.dumps({**RUN, **changes}))
        paths.append(str(path))
    return paths


def test_both_majors_side_by_side_and_the_one_missing_the_target_named(tmp_path):
    result = run_in_process("scripts.bench.compare_majors", database_url=None, *summaries(
        tmp_path, pg15={"server": "PostgreSQL 15.18"}, pg17={"server": "PostgreSQL 17.10", "p95_ms": 20.01}))
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["PostgreSQL", "15.18", "PostgreSQL", "17.10"]
    assert lines[5].split() == ["p95", "ms", "17.5", "20.01"]
    assert lines[-1].split() == ["target", "met", "yes", "NO"]
    assert (result.returncode, result.stderr.strip()) == (
        1, "compare_majors: FAILED: a major misses the target: PostgreSQL 17.10")


def test_all_meeting_the_target_exit_0_and_a_run_without_figures_exit_1(tmp_path):
    ok = run_in_process("scripts.bench.compare_majors", database_url=None, *summaries(
        tmp_path, pg15={"server": "PostgreSQL 15.18"}, pg17={"server": "PostgreSQL 17.10", "errors": 0}))
    assert ok.returncode == 0 and ok.stdout.splitlines()[-1].split() == ["target", "met", "yes", "yes"]
    failed = run_in_process("scripts.bench.compare_majors", database_url=None, *summaries(
        tmp_path, pg15={"server": "PostgreSQL 15.18"}, pg18=None))
    assert (failed.returncode, failed.stderr.strip()) == (
        1, "compare_majors: FAILED: no figures for pg18: its run failed before the end (see above)")
    assert run_in_process("scripts.bench.compare_majors", database_url=None).returncode == 2
