"""What the tests of the read functions (0031) and of read parity share: a connection acting as
a user through PostgREST, the parity command."""
from __future__ import annotations

import json
from contextlib import contextmanager

import psycopg2

from helpers import run_in_process

@contextmanager
def as_role(database_url, role: str = "authenticated", user: str | None = None):
    """A cursor acting as PostgREST does for a request: SET LOCAL ROLE, the JWT claims; rolled back."""
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SET LOCAL ROLE {role}")
            if user is not None:
                cur.execute("SELECT set_config('request.jwt.claims', %s, true)",
                            (json.dumps({"sub": user, "role": role}),))
            yield cur
    finally:
        conn.rollback()
        conn.close()


def week_as_legacy(database_url, user: str, child: str, monday: str):
    with as_role(database_url, user=user) as cur:
        cur.execute("SELECT public.week_as_legacy(%s, %s)", (child, monday))
        return cur.fetchone()[0]


def parity(database_url, *args: str):
    """(exit code, the --json report or None, stderr) of `make read-parity`."""
    result = run_in_process("scripts.commands.read_parity", "--json", *args, database_url=database_url)
    report = json.loads(result.stdout) if result.stdout.strip() else None
    return result.returncode, report, result.stderr
