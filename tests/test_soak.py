"""`make soak` (issue #22 point 5), shortened: a "minute" of a few seconds (--minute-seconds),
a small base, a few clients. A clean run prints its minute lines and summary and exits 0, every
legacy write it made drained and synced; a drift written into a new table mid-run is found at
the next minute's check, named, and makes the exit code 1; bad MINUTES is a one-line usage
error (exit 2) before anything runs."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from helpers import REPO_ROOT, scalar

SHORT = ["--rows", "60", "--clients", "3", "--legacy-pause-ms", "100", "--drain-interval", "0.5"]
MINUTE = re.compile(r"minute +1: drift 0; queue lag p50/p99 [\d.]+/[\d.]+ s \((\d+) drained\); endpoint p95 [\d.]+ ms "
                    r"\((\d+) requests\); legacy writes (\d+); errors 0; RSS endpoint ([\d.]+) MiB, PostgreSQL private ([\d.]+) MiB, total ([\d.]+) MiB; "
                    r"load [\d.]+")


def soak(database_url, *args, **popen):
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.Popen([sys.executable, "-m", "scripts.bench.soak", *SHORT, *args], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def test_a_clean_minute_prints_its_line_and_summary_and_exits_0(synced, database_url):
    process = soak(database_url, "--minutes", "1", "--minute-seconds", "6")
    out, err = process.communicate(timeout=240)
    assert process.returncode == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith("soak on PostgreSQL "), out
    minute = MINUTE.fullmatch(lines[1])
    assert minute, out
    drained, requests, writes, endpoint_mib, server_private_mib, server_mib = minute.groups()
    assert int(requests) > 0 and int(writes) > 0 and int(drained) > 0
    assert float(endpoint_mib) > 10 and 1 < float(server_private_mib) < float(server_mib)
    assert re.match(r"summary: 1 minutes, \d+ endpoint requests .*; errors 0; machine load average [\d.]+ ", lines[2]), out
    assert lines[3] == "drift: 2 checks (1 under load, 1 after it stopped and the queue drained: 0 findings), 0 with findings"
    assert lines[4].startswith("memory: not judged (1 minutes; flatness needs MINUTES >= 25"), out
    assert len(lines) == 5 and err == ""
    # Every legacy write it made went through the trigger and the drain: nothing queued, each of
    # its rows synced as it is now, in the new tables.
    assert scalar(synced, "SELECT count(*) FROM migration.sync_queue") == 0
    assert scalar(synced, "SELECT count(*) FROM habit_tracker WHERE child_name LIKE 'soak-%'") > 0
    assert scalar(synced, """SELECT count(*) FROM habit_tracker h LEFT JOIN migration.sync_state s ON s.legacy_id = h.id
                             WHERE h.child_name LIKE 'soak-%' AND s.row_hash IS DISTINCT FROM migration.row_hash(h)""") == 0
    assert scalar(synced, "SELECT count(*) FROM weeks w JOIN children c ON c.id = w.child_id WHERE c.name LIKE 'soak-%'") > 0
    assert scalar(synced, "SELECT count(*) FROM weeks w JOIN children c ON c.id = w.child_id WHERE c.name LIKE '부하-%'") > 0


def test_a_drift_written_mid_run_is_found_named_and_exits_1(synced, database_url):
    process = soak(database_url, "--minutes", "2", "--minute-seconds", "6", "--json")
    header = json.loads(process.stdout.readline())
    assert header["header"].startswith("soak on PostgreSQL")
    first = json.loads(process.stdout.readline())
    assert first["minute"] == 1 and first["drift"] == 0 and first["errors"] == 0, first
    # As the owner, straight into a new table: a backfilled week no load touches (the clients and
    # the legacy writer keep to children of their own) gets another theme.
    with synced.cursor() as cur:
        cur.execute("""UPDATE weeks SET theme = 'drifted by the test'
                       WHERE id = (SELECT w.id FROM weeks w JOIN children c ON c.id = w.child_id
                                   WHERE w.source_version = 'migration' AND c.name NOT LIKE 'soak-%'
                                     AND c.name NOT LIKE '부하-%' ORDER BY w.id LIMIT 1)
                       RETURNING id""")
        week_id = str(cur.fetchone()[0])
    out, err = process.communicate(timeout=240)
    assert process.returncode == 1, out + err
    records = [json.loads(line) for line in out.splitlines()]
    second = records[0]
    assert second["minute"] == 2 and second["drift"] == 1, second
    assert re.fullmatch(rf"WEEK_DATA_MISMATCH legacy \d+ new {week_id}", second["drift_rows"][0]), second
    summary = records[-1]["summary"]
    assert summary["checks_with_drift"] == 2 and summary["final"]["drift"] == 1  # still there after the run
    assert err.strip() == "soak: FAILED: drift at 2 of 3 checks"


@pytest.mark.parametrize("minutes, message", [
    (None, "soak: error: MINUTES is missing: make soak MINUTES=n (a positive integer, e.g. 30)"),
    ("0", "soak: error: MINUTES must be a positive integer (make soak MINUTES=30), got '0'"),
    ("2.5", "soak: error: MINUTES must be a positive integer (make soak MINUTES=30), got '2.5'"),
])
def test_minutes_missing_or_not_a_positive_integer_is_a_usage_error(minutes, message):
    # No database: the usage error comes first, nothing is started.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    args = [] if minutes is None else ["--minutes", minutes]
    done = subprocess.run([sys.executable, "-m", "scripts.bench.soak", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr.strip()) == (2, "", message)
