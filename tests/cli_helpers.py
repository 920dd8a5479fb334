"""Run operator commands the way a DBA does: as subprocesses, configured by DATABASE_URL."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import sys
from dataclasses import astuple
from pathlib import Path

import psycopg2

from scripts.db.drift import EVERY_USER_ONLY, detect

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_cli(module: str, *args: str, database_url: str | None, timeout: float = 300, cwd=REPO_ROOT, **env):
    """Run an operator command as the DBA would: a subprocess, DATABASE_URL in its environment."""
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url is not None:
        environ["DATABASE_URL"] = database_url
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=cwd, env=environ,
        capture_output=True, text=True, timeout=timeout,
    )


def current_revision(conn) -> str | None:
    """The revision recorded in alembic_version, or None."""
    with conn.cursor() as cur:
        cur.execute("SELECT version_num FROM alembic_version")
        row = cur.fetchone()
    return row[0] if row else None


def each_users_check_agrees(database_url) -> None:
    """Each user's check (the endpoint's verify_consistency: one statement of CTEs) finds exactly
    that user's part of what the check of every user (temporary tables) finds."""
    conn = psycopg2.connect(database_url)
    try:
        everyone = [f for f in detect(conn).findings if f.kind not in EVERY_USER_ONLY]
        with conn.cursor() as cur:
            cur.execute("""SELECT user_id::TEXT FROM habit_tracker UNION SELECT user_id::TEXT FROM migration.sync_state
                           UNION SELECT user_id::TEXT FROM weeks UNION SELECT user_id::TEXT FROM children""")
            users = [row[0] for row in cur.fetchall() if row[0] is not None]
        conn.rollback()
        one_by_one = [f for user in users for f in detect(conn, user_id=user).findings]
    finally:
        conn.close()
    assert sorted(str(astuple(f)) for f in one_by_one) == sorted(str(astuple(f)) for f in everyone)


def drift(database_url, *args, **env):
    """The report of `make drift`, after checking that re-mapping every row (--full) finds the
    same, and that the users' own checks find the same."""
    reports = []
    for mode in ((), ("--full",)):
        result = run_cli("scripts.commands.drift", "--json", "--examples", "50", *args, *mode, database_url=database_url, **env)
        assert result.returncode in (0, 1), result.stderr
        reports.append((result.returncode, json.loads(result.stdout)))
    (code, report), (full_code, full_report) = reports
    assert (code, report["examples"], report["by_kind"]) == (full_code, full_report["examples"], full_report["by_kind"])
    assert full_report["checked"]["remapped"] == full_report["checked"]["legacy_rows"]
    if not args:
        each_users_check_agrees(database_url)
    return code, report


def scalar(db, query, params=None):
    with db.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()[0]


def at_once(target, n: int) -> list:
    """target(0) ... target(n - 1), each in its own thread, all released together; their results."""
    results: list = [None] * n
    start = threading.Barrier(n)

    def run(i):
        start.wait()
        results[i] = target(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
