"""Run operator commands the way a DBA does: as subprocesses, configured by DATABASE_URL."""
from __future__ import annotations

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
