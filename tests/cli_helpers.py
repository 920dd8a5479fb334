"""Run operator commands the way a DBA does: as subprocesses, configured by DATABASE_URL."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


def drift(database_url, *args, **env):
    """The report of `make drift`, after checking that re-mapping every row (--full) finds the same."""
    reports = []
    for mode in ((), ("--full",)):
        result = run_cli("scripts.drift", "--json", "--examples", "50", *args, *mode, database_url=database_url, **env)
        assert result.returncode in (0, 1), result.stderr
        reports.append((result.returncode, json.loads(result.stdout)))
    (code, report), (full_code, full_report) = reports
    assert (code, report["examples"], report["by_kind"]) == (full_code, full_report["examples"], full_report["by_kind"])
    assert full_report["checked"]["remapped"] == full_report["checked"]["legacy_rows"]
    return code, report


def scalar(db, query, params=None):
    with db.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()[0]
