"""`make legacy-readers [SECONDS=n] [BY=name] [JSON=1]`: who still reads or writes the legacy table habit_tracker.

    python -m scripts.commands.legacy_readers [--seconds N] [--by NAME] [--json]

Watches public.habit_tracker for N seconds (default 60): reads the statistics once, sleeps,
reads them again, and prints the difference (scripts/db/legacy_readers.py):

- the table's counters from pg_stat_user_tables: sequential and index scans and the rows they
  read, rows inserted, updated, deleted. Every access counts, whoever made it;
- where pg_stat_statements is installed (as on Supabase, schema `extensions`): each statement
  naming habit_tracker that ran in the window, with its role (anon / authenticated /
  service_role are the app, through PostgREST; postgres is the DBA's tooling: the drain,
  backfill, drift), its calls and rows. Without it, the table counts only, and the output
  says so.

The forgotten screens of the original Phase 2 (JOURNEY_FACTS) are exactly what this names: app
reads of habit_tracker after the switch. Statistics reach the views when each session's
transaction ends, then within about a second (10 s for a session gone idle): keep the window
well above that; what happens in its last seconds may be counted in the next one.

Every window is recorded (from revision 0036 on) in migration.legacy_reader_windows, with
what it saw, who ran it (current_user, or --by) and whether it was clean: no statement by an
app role (scripts/db/legacy_windows.py says exactly). `make contract-check` reads the last one.
Below 0036 the window is not recorded and stderr says so.

Exit 0 when nothing read or wrote the table in the window; 1 when anything did (a table counter
moved or a statement was seen: the tooling's own use counts here, not in the recorded `clean`);
2 bad input, no database, or the window could not be recorded (one line).
"""
from __future__ import annotations

import json
import re
import sys
import time

import psycopg2

from scripts.db import legacy_readers as lr
from scripts.db import legacy_windows
from scripts.db.database_url import connect
from scripts.db.legacy_table import dropped
from scripts.db.errors import CheckFailed, OneLineParser, UsageError, cli_main, one_line

USAGE = "usage: python -m scripts.commands.legacy_readers [--seconds N] [--by NAME] [--json]"
MAX_SECONDS = 24 * 3600
QUERY_WIDTH = 160


def parse_seconds(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,6}", text.strip()) or not 1 <= int(text) <= MAX_SECONDS:
        raise UsageError(f"SECONDS must be an integer from 1 to {MAX_SECONDS}, got {text!r}")
    return int(text)


def one_line_query(query: str) -> str:
    text = " ".join(query.split())
    return text if len(text) <= QUERY_WIDTH else text[:QUERY_WIDTH - 3] + "..."


def table_line(table: dict[str, int]) -> str:
    return (f"{table['seq_scan']} sequential scans ({table['seq_tup_read']} rows read), {table['idx_scan']} index scans "
            f"({table['idx_tup_fetch']} rows fetched); {table['n_tup_ins']} rows inserted, {table['n_tup_upd']} updated, "
            f"{table['n_tup_del']} deleted")


def as_json(table: str, diff: lr.Difference, source: str | None, note: str, seconds: int) -> dict:
    return {
        "table": table, "seconds": seconds, "measured_seconds": round(diff.seconds, 3),
        "seen": diff.seen, "read": diff.read, "written": diff.written, "table_counters": diff.table,
        "statements_source": source, "statements_note": note,
        "statements": None if diff.statements is None else [
            {"role": s.role, "app": s.app, "command": s.command, "access": s.access, "calls": s.calls, "rows": s.rows,
             "query": s.query} for s in diff.statements],
        "hidden_calls": diff.hidden_calls, "counters_reset": diff.reset,
    }


def report(table: str, diff: lr.Difference, note: str) -> list[str]:
    lines = [f"watched {table} for {diff.seconds:.1f} s"]
    if diff.table is None:
        lines.append("table: no statistics for it (the table does not exist here?)")
    else:
        lines.append("table: " + table_line(diff.table))
    lines.append(f"statements: {note}")
    for s in diff.statements or ():
        who = f"{s.role} (app)" if s.app else s.role
        lines.append(f"  {who} {s.access} {s.command}: {s.calls} calls, {s.rows} rows: {one_line_query(s.query)}")
    if diff.statements == [] and diff.seen:
        lines.append("  none named: the access came from inside functions (pg_stat_statements tracks top-level "
                     "statements only), or from statements evicted from it")
    if diff.hidden_calls:
        lines.append(f"  {diff.hidden_calls} calls of other roles' statements could not be read (no pg_read_all_stats)")
    if diff.reset:
        lines.append("note: a counter went down in the window (statistics reset): its value after is counted")
    return lines


def parse_by(text: str | None) -> str | None:
    if text is None or text == "":
        return None
    if len(text) > 100 or not text.isprintable():
        raise UsageError(f"BY must be a printable name of at most 100 characters, got {text[:40]!r}")
    return text


def record_window(conn, diff: lr.Difference, report_json: dict, seconds: int, by: str | None, started_at, ended_at) -> None:
    """Store the window for `make contract-check`; below 0036, say on stderr that it is not kept."""
    if not legacy_windows.installed(conn):
        print(f"legacy-readers: window not recorded: {legacy_windows.TABLE} does not exist here "
              "(it comes with 0036_legacy_reader_windows)", file=sys.stderr)
        return
    app_calls, clean = legacy_windows.judge(diff)
    window = legacy_windows.record(conn, diff, report_json, seconds, by, started_at, ended_at)
    if clean:
        verdict = "clean: no app statement"
    elif app_calls:
        verdict = f"not clean: {app_calls} calls by the app"
    elif app_calls is None:
        verdict = "not clean: the table was used and, without pg_stat_statements, by whom is unknown"
    else:
        verdict = f"not clean: {diff.hidden_calls} calls by roles whose statements cannot be read"
    print(f"legacy-readers: window {window} recorded ({verdict})", file=sys.stderr)


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="legacy-readers", description=__doc__.splitlines()[0], usage_line=USAGE)
    parser.add_argument("--seconds", default="60", help="the window, in seconds (default 60)")
    parser.add_argument("--by", default=None, help="who watches, recorded with the window (default: the database role)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    seconds = parse_seconds(args.seconds)
    by = parse_by(args.by)
    conn = connect(autocommit=True)
    if dropped(conn):
        conn.close()
        print("legacy-readers: nothing to watch: the legacy table was dropped (0040_drop_legacy); no window recorded")
        return 0
    try:
        schema, note = lr.statements_source(conn)
        table = lr.table_name(conn)
        before = lr.snapshot(conn, schema)
        print(f"legacy-readers: watching {table} for {seconds} s ({note})", file=sys.stderr, flush=True)
        time.sleep(seconds)
        after = lr.snapshot(conn, schema)
        diff = lr.difference(before, after)
        report_json = as_json(table, diff, schema, note, seconds)
        record_window(conn, diff, report_json, seconds, by, before.taken_at, after.taken_at)
    except psycopg2.Error as exc:
        raise UsageError(f"legacy-readers could not read the statistics or record the window: {one_line(exc)}") from None
    finally:
        conn.close()
    if args.json:
        print(json.dumps(report_json, ensure_ascii=False, indent=2))
        return 1 if diff.seen else 0
    for line in report(table, diff, note):
        print(line)
    if diff.seen:
        roles = sorted({s.role for s in diff.statements or ()})
        named = f": {len(diff.statements or ())} statements by {', '.join(roles)}" if roles else ""
        raise CheckFailed(f"{table} was read or written in the window{named}")
    print(f"nothing read or wrote {table} in the window")
    return 0


if __name__ == "__main__":
    cli_main(main)()
