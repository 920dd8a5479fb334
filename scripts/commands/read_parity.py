"""`make read-parity`: every legacy row read back through public.week_as_legacy() as its user.

    python -m scripts.commands.read_parity [--json] [--limit N]

The second, independent proof that nothing was lost (issue #20): for every legacy row with a
user, as that user (role authenticated, their JWT claims, RLS on), the answer for each Monday
week the row's filled days fall in holds every filled day on its date with its status, and a
Monday-start row's week fields exactly; merges of #11 and recorded conflicts are accounted as
such (scripts/db/read_parity.py has the rules; scripts/db/legacy_rows.py reads the rows
without the mapping). Prints one summary line, then the unresolved rows (no user can read
them) and the differences (legacy id, date, habit, expected vs got; the first --limit, default
50); --json prints all of it as one object.

Exit 0: no difference, nothing unresolved. 1: any difference or unresolved row. 2: the
database lacks what it needs (0031_read_as_legacy's function; RLS on and SELECT for
authenticated on children, weeks, habits, habit_records: the RLS stages up to
0030_rls_stage4_habit_records), or cannot be reached; one line.
"""
from __future__ import annotations

import json
import time

import psycopg2

from scripts.db.database_url import connect, require_revision_object
from scripts.db.errors import CheckFailed, OneLineParser, UsageError, cli_main, one_line
from scripts.db.legacy_table import dropped, identifier
from scripts.db.read_parity import APP_ROLE, READ_FUNCTION, Parity, run

USAGE = "usage: python -m scripts.commands.read_parity [--json] [--limit N]"
READ_TABLES = ("children", "weeks", "habits", "habit_records")
STAGES = "0030_rls_stage4_habit_records"

NOT_READY = """
SELECT t.name FROM unnest(%s::TEXT[]) AS t (name)
LEFT JOIN pg_class AS c ON c.oid = to_regclass('public.' || t.name)
WHERE c.oid IS NULL OR NOT c.relrowsecurity OR NOT has_table_privilege(%s, c.oid, 'SELECT')"""


def require_reads(conn) -> None:
    """UsageError unless the read function exists and RLS guards what it reads."""
    require_revision_object(conn, READ_FUNCTION, "read parity needs 0031_read_as_legacy "
                                                 "(public.week_as_legacy() is missing): run `make upgrade`")
    with conn.cursor() as cur:
        cur.execute(NOT_READY, (list(READ_TABLES), APP_ROLE))
        missing = [name for (name,) in cur.fetchall()]
    if missing:
        raise UsageError(f"read parity needs {STAGES} (RLS on and SELECT for {APP_ROLE}): "
                         f"not so on {', '.join(missing)}")


def line(item: dict) -> str:
    where = ", ".join(str(part) for part in (item["child_name"], item["date"], item["habit"]) if part is not None)
    legacy = f"legacy {item['legacy_id']}" if item["legacy_id"] is not None else "new tables"
    values = f": expected {item['expected']!r}, got {item['got']!r}" if item["expected"] or item["got"] else ""
    return f"  {legacy} ({where}) {item['what']}{values}"


def report(parity: Parity, seconds: float, limit: int) -> None:
    s = parity.summary()
    print(f"read parity: {s['rows']} legacy rows ({s['rows_read']} read as their owner, {s['users']} users; "
          f"{s['rows_discarded']} discarded, {s['rows_unresolved']} unresolved); {s['weeks_read']} weeks read; "
          f"{s['days_compared']} days compared, {s['days_equal']} equal; accounted: {s['accounted_conflict']} "
          f"conflict, {s['accounted_other_row']} other-row, {s['accounted_discarded']} discarded; "
          f"{s['differences']} differences ({seconds:.1f} s)")
    if parity.unresolved:
        print(f"unresolved (no user can read them; `make quarantine`): {len(parity.unresolved)}")
        for row in parity.unresolved[:limit]:
            print(f"  legacy {row['legacy_id']} ({row['child_name']}) {row['reason']}")
    if parity.differences:
        print(f"differences: {len(parity.differences)}")
        for item in parity.differences[:limit]:
            print(line(item))
    if len(parity.differences) > limit or len(parity.unresolved) > limit:
        print(f"  (the first {limit} of each; --json lists all)")


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="read_parity", description=__doc__.splitlines()[0], usage_line=USAGE)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--limit", type=int, default=50, help="differences and unresolved rows printed")
    args = parser.parse_args(argv)
    if args.limit < 0:
        raise UsageError(f"{USAGE} (--limit must not be negative)")
    conn = connect(autocommit=True)
    try:
        require_reads(conn)
        legacy = identifier(conn)
        if legacy is None and dropped(conn):
            print("read-parity: nothing left to compare: the legacy table was dropped (0040_drop_legacy)")
            return 0
        if legacy is None:
            raise UsageError("read-parity: no legacy table here (upgrade first): nothing to compare")
        conn.autocommit = False
        started = time.perf_counter()
        parity = run(conn, legacy)
        seconds = time.perf_counter() - started
    except psycopg2.OperationalError as exc:
        raise UsageError(f"lost the database: {one_line(exc)}") from None
    finally:
        conn.close()
    if args.json:
        print(json.dumps({"ok": parity.ok, "seconds": round(seconds, 2), "summary": parity.summary(),
                          "unresolved": parity.unresolved, "differences": parity.differences},
                         ensure_ascii=False, indent=2))
    else:
        report(parity, seconds, args.limit)
    if not parity.ok:
        raise CheckFailed(f"{len(parity.differences)} differences, {len(parity.unresolved)} unresolved legacy rows")
    return 0


if __name__ == "__main__":
    cli_main(main)()
