"""Who reads or writes the legacy table: the statistics views, read twice, and their difference.

Two sources, both cumulative counters read by `snapshot()`:

- pg_stat_user_tables for public.habit_tracker: sequential and index scans (and the rows they
  read or fetched), rows inserted, updated, deleted. Every access is counted, whoever makes it,
  but not by whom. A backend adds its counts when its transaction ends, and at most about once a
  second: a busy session's counts may arrive up to a second later, an idle one's within 10 s
  (PostgreSQL 15's PGSTAT_MIN_INTERVAL / PGSTAT_IDLE_INTERVAL; 60 s at most). A window much
  longer than that sees what happened in it; activity in its last seconds may be counted in
  the next window. (pg_stat_force_next_flush() makes a session flush at once; the tests use it.)
- pg_stat_statements, where it is installed (Supabase: schema `extensions`), for the current
  database: each statement whose normalised text names habit_tracker (a whole word, so not
  habit_tracker_id_seq), with its role, calls and rows. Updated as each statement ends. It sees
  top-level statements only (pg_stat_statements.track = top, the default): a function that
  reads the table is seen as its call, whose text does not name it; the table counts still
  show the access. Other roles' texts are visible only to a member of pg_read_all_stats (the
  text is `<insufficient privilege>` otherwise): such entries are counted, not named.

The difference of two snapshots (`difference`) is what `make legacy-readers` reports
(scripts/commands/legacy_readers.py). Read-only; nothing is reset (pg_stat_reset needs a
superuser).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import psycopg2
from psycopg2 import sql

from scripts.db.legacy_table import legacy_table

TABLE = "public.habit_tracker"  # named so until 0039 renames it: table_name() reads which
COUNTERS = ("seq_scan", "seq_tup_read", "idx_scan", "idx_tup_fetch", "n_tup_ins", "n_tup_upd", "n_tup_del")
READS = ("seq_scan", "idx_scan")
WRITES = ("n_tup_ins", "n_tup_upd", "n_tup_del")
# A statement naming the table: a whole word (\m \M), so habit_tracker_id_seq does not match.
# After 0039 the table is habit_tracker_old: a statement naming either is counted.
MENTIONS = r"\mhabit_tracker(_old)?\M"
HIDDEN = "<insufficient privilege>"
# The roles PostgREST runs requests as, and its login role: "the app".
APP_ROLES = ("anon", "authenticated", "service_role", "authenticator")
WRITE_COMMANDS = ("INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "COPY")


@dataclass(frozen=True)
class Statement:
    role: str
    query: str
    calls: int
    rows: int

    @property
    def command(self) -> str:
        words = re.findall(r"[A-Za-z]+", re.sub(r"--[^\n]*|/\*.*?\*/", " ", self.query, flags=re.S))
        return words[0].upper() if words else "?"

    @property
    def access(self) -> str:
        command = self.command
        if command in WRITE_COMMANDS:
            return "write"
        if command == "WITH" and re.search(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", self.query, re.I):
            return "write"
        return "read"

    @property
    def app(self) -> bool:
        return self.role in APP_ROLES


@dataclass
class Snapshot:
    taken_at: dt.datetime
    table: dict[str, int] | None
    statements: dict[tuple, Statement] | None
    hidden: dict[tuple, int] = field(default_factory=dict)


@dataclass
class Difference:
    seconds: float
    table: dict[str, int] | None
    statements: list[Statement] | None
    hidden_calls: int
    reset: bool

    @property
    def read(self) -> bool:
        return bool(self.table) and any(self.table[c] > 0 for c in READS)

    @property
    def written(self) -> bool:
        return bool(self.table) and any(self.table[c] > 0 for c in WRITES)

    @property
    def seen(self) -> bool:
        return self.read or self.written or bool(self.statements)


def statements_source(conn) -> tuple[str | None, str]:
    """(schema of pg_stat_statements, note): the schema when it is installed and usable here,
    else None and why (the report then has the table counts only). `conn` in autocommit."""
    with conn.cursor() as cur:
        cur.execute("""SELECT n.nspname FROM pg_extension AS e JOIN pg_namespace AS n ON n.oid = e.extnamespace
                       WHERE e.extname = 'pg_stat_statements'""")
        row = cur.fetchone()
        if row is None:
            return None, "pg_stat_statements is not installed here: table counts only, no statement or role named"
        schema = row[0]
        try:  # the connection is in autocommit: a failed probe leaves nothing to roll back
            cur.execute(sql.SQL("SELECT 1 FROM {}.pg_stat_statements LIMIT 1").format(sql.Identifier(schema)))
        except psycopg2.Error as exc:  # not preloaded (shared_preload_libraries), or no privilege
            return None, (f"pg_stat_statements is installed but cannot be read ({' '.join(str(exc).split())}): "
                          "table counts only")
        cur.execute("SELECT pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')")
        if not cur.fetchone()[0]:
            return schema, (f"{schema}.pg_stat_statements; {cur.connection.info.user} is not a member of "
                            "pg_read_all_stats: other roles' statements are counted, not named")
        return schema, f"{schema}.pg_stat_statements"


def table_name(conn) -> str:
    """The legacy table under its current name (scripts/db/legacy_table.py); TABLE when there is none."""
    name = legacy_table(conn)
    return TABLE if name is None else f"public.{name}"


def snapshot(conn, schema: str | None) -> Snapshot:
    """The counters now. `conn` in autocommit (each read its own transaction: with
    stats_fetch_consistency = cache a transaction would keep reading its first snapshot)."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute("SELECT clock_timestamp()")
        taken_at = cur.fetchone()[0]
        cur.execute(sql.SQL("SELECT {} FROM pg_stat_user_tables WHERE relid = to_regclass(%s)").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in COUNTERS)), (table_name(conn),))
        row = cur.fetchone()
        table = None if row is None else dict(zip(COUNTERS, row))
        statements, hidden = None, {}
        if schema is not None:
            cur.execute(sql.SQL("""
                SELECT s.userid, s.queryid, s.toplevel, coalesce(r.rolname, s.userid::TEXT), s.query, s.calls, s.rows
                FROM {}.pg_stat_statements AS s
                LEFT JOIN pg_roles AS r ON r.oid = s.userid
                WHERE s.dbid = (SELECT d.oid FROM pg_database AS d WHERE d.datname = current_database())
                    AND (s.query ~* %(mentions)s OR s.query = %(hidden)s)""").format(sql.Identifier(schema)),
                {"mentions": MENTIONS, "hidden": HIDDEN})
            statements = {}
            for userid, queryid, toplevel, role, query, calls, rows in cur.fetchall():
                key = (userid, queryid, toplevel)
                if query == HIDDEN:
                    hidden[key] = calls
                else:
                    statements[key] = Statement(role, query, calls, rows)
    return Snapshot(taken_at, table, statements, hidden)


def difference(before: Snapshot, after: Snapshot) -> Difference:
    """What happened between two snapshots. A counter that went down was reset (stats reset,
    server crash, an entry evicted and re-created): its value after is taken as the delta."""
    reset = False
    table = None
    if before.table is not None and after.table is not None:
        table = {}
        for counter in COUNTERS:
            delta = (after.table[counter] or 0) - (before.table[counter] or 0)
            if delta < 0:
                reset, delta = True, after.table[counter] or 0
            table[counter] = delta
    statements = None
    if after.statements is not None:
        statements = []
        for key, now in after.statements.items():
            then = (before.statements or {}).get(key)
            calls, rows = now.calls, now.rows
            if then is not None and now.calls >= then.calls:
                calls, rows = now.calls - then.calls, now.rows - then.rows
            if calls > 0:
                statements.append(Statement(now.role, now.query, calls, rows))
        statements.sort(key=lambda s: (not s.app, s.role, -s.calls, s.query))
    hidden_calls = sum(max(calls - before.hidden.get(key, 0), 0) for key, calls in after.hidden.items())
    seconds = (after.taken_at - before.taken_at).total_seconds()
    return Difference(seconds, table, statements, hidden_calls, reset)
