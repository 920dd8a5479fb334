"""The windows `make legacy-readers` watched, kept in migration.legacy_reader_windows (0036).

`record()` stores one window (scripts/commands/legacy_readers.py calls it when the window
closes); `last()` reads the latest, for the contract gate's "no legacy reader" line
(scripts/db/gates.py). A window is clean when nothing the freeze would break was seen
(`judge`):

- pg_stat_statements readable: no statement naming habit_tracker by an app role (anon,
  authenticated, service_role, authenticator: PostgREST), and no call whose role could not be
  read. The tooling's statements (postgres: the endpoint's dual-write, the drain, drift) are
  kept in `seen` but do not count: the freeze retires them itself.
- without it: the table untouched (its counters cannot say who used it).

pg_stat_statements sees top-level statements only: an app RPC whose function reads the table
shows as its call, not naming it. No function the app may call reads habit_tracker at 0032
(the read functions of 0031 read the new tables).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from scripts.db.legacy_readers import Difference

TABLE = "migration.legacy_reader_windows"


@dataclass(frozen=True)
class Window:
    id: int
    started_at: dt.datetime
    ended_at: dt.datetime
    seconds: float
    run_by: str
    touched: bool
    app_calls: int | None
    clean: bool
    seen: dict
    age_seconds: float

    def app_readers(self) -> list[str]:
        """"<role> <access> <command> (<calls> calls)" of each app statement seen."""
        return [f"{s['role']} {s['access']} {s['command']} ({s['calls']} calls)"
                for s in self.seen.get("statements") or () if s.get("app")]


def installed(conn) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (TABLE,))
        return cur.fetchone()[0]


def judge(diff: Difference) -> tuple[int | None, bool]:
    """(app_calls, clean) of a window: app_calls None when no statement source was readable."""
    if diff.statements is None:
        return None, not diff.seen
    app_calls = sum(s.calls for s in diff.statements if s.app)
    return app_calls, app_calls == 0 and diff.hidden_calls == 0


def record(conn, diff: Difference, report: dict, requested_seconds: int, by: str | None,
           started_at: dt.datetime, ended_at: dt.datetime) -> int:
    """Insert the window (in the caller's transaction, or at once in autocommit); its id.
    `report`: what the command prints as JSON, kept whole in `seen`."""
    app_calls, clean = judge(diff)
    with conn.cursor() as cur:
        cur.execute("""
            INSERT INTO migration.legacy_reader_windows
                (started_at, ended_at, seconds, requested_seconds, run_by, seen, statements_source, touched,
                 app_calls, clean)
            VALUES (%s, %s, %s, %s, coalesce(%s, current_user), %s, %s, %s, %s, %s)
            RETURNING id""",
                    (started_at, ended_at, round(diff.seconds, 3), requested_seconds, by,
                     json.dumps(report, ensure_ascii=False), report.get("statements_source"), diff.seen,
                     app_calls, clean))
        return cur.fetchone()[0]


def last(conn) -> Window | None:
    """The window that ended last, None when none was recorded."""
    with conn.cursor() as cur:
        cur.execute("""
            SELECT id, started_at, ended_at, seconds, run_by, touched, app_calls, clean, seen,
                   extract(EPOCH FROM now() - ended_at)
            FROM migration.legacy_reader_windows ORDER BY ended_at DESC, id DESC LIMIT 1""")
        row = cur.fetchone()
    if row is None:
        return None
    return Window(row[0], row[1], row[2], float(row[3]), row[4], row[5], row[6], row[7], row[8], float(row[9]))


def age(seconds: float) -> str:
    """"42 s", "17 min", "5.2 h", "3.0 days": how long ago, for a line."""
    seconds = max(seconds, 0.0)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
