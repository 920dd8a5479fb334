"""`make report`: a Markdown status report of the live database, for the record.

    python -m scripts.commands.report [--output FILE] [--target REV]

Everything in it is read from the database at DATABASE_URL when it runs, so the figures quoted
from it (the retrospective's) are the database's, not hand-typed:

- the database (URL without its password), the time by the database's clock, the revision;
- the verify checklist: scripts/commands/verify.py's own checks (`run_checks`: the revisions'
  verify steps, migrations/verify/), against head or `--target`;
- row counts: legacy habit_tracker, and each new table in total and per source_version;
- the quarantine by reason, the sync queue and the sync failures;
- every filled day of the legacy rows and where it is (scripts/db/day_accounts.py): placed,
  in the recorded conflicts, in discarded rows, stranded in unresolved rows, unaccounted for;
  and the operators' decisions (revision 0024);
- the Phase 2 read switch (scripts/db/read_switch.py, revision 0032): the share of users
  reading the new tables, how many users that is, and its latest changes;
- the drift summary: scripts/drift.py's `detect()` (the incremental check of `make drift`);
- the migration history: every revision of this repository, base to head, whether it is
  applied and when (alembic.alembic_version_history, recorded by env.py: the latest upgrade
  or stamp to it not undone by a later downgrade; "applied before history was recorded" when
  there is none), and the last steps recorded.

Every section but the drift check reads one REPEATABLE READ, READ ONLY snapshot; the drift
check runs in its own (it writes temporary tables). A section whose objects a revision not
yet applied would create says "not installed"; a section whose query fails says so and the
report goes on. The report changes nothing in the database.

Exit 0 when the report was written, even if verify checks FAIL or drift is found: the report
records them (`make verify` and `make drift` are the gates that exit 1). Exit 2, one line,
when it cannot run: bad arguments, no or unreachable database, an output file that cannot be
written.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from pathlib import Path

import psycopg2
from alembic.script import ScriptDirectory
from psycopg2 import sql

from scripts.db import drift, read_switch
from scripts.db.day_accounts import EXAMPLES, summary as day_accounts
from scripts.db.database_url import connect, database_url, redacted
from scripts.db.errors import OneLineParser, UsageError, cli_main
from scripts.db.legacy_table import dropped, legacy_table
from scripts.commands.migrate import alembic_config
from scripts.commands.sync_queue import queue_status
from scripts.commands.verify import NEW_TABLES, State, current_revision, revision_list, run_checks
from scripts.commands.verify import steps as verify_steps
from scripts.db.version_history import HISTORY_TABLE

USAGE = "usage: python -m scripts.commands.report [--output FILE] [--target REV]"
LEGACY_TABLE = "habit_tracker"
# The objects a section reads. The revision that creates each (for "not installed") is the
# one whose verify module lists it in CREATES (migrations/verify/__init__.py).
QUARANTINE = "migration.backfill_quarantine"
SYNC_STATE = "migration.sync_state"
SYNC_FAILURES = "migration.sync_failures"
SYNC_QUEUE = "migration.sync_queue"
DECISIONS = "migration.quarantine_decisions"
RECENT_STEPS = 20
RECENT_SWITCHES = 10
NULL_LABEL = "(null)"


def cell(value) -> str:
    """A value as one Markdown table cell: one line, pipes escaped."""
    text = "" if value is None else str(value)
    return " ".join(text.split()).replace("|", "\\|")


def table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def when(value: dt.datetime | None) -> str:
    return value.isoformat(sep=" ", timespec="seconds") if value else ""


@functools.cache
def comes_with(relation: str) -> str:
    """The revision that creates `relation`, from the revisions' verify modules."""
    revisions = revision_list(ScriptDirectory.from_config(alembic_config()))
    return verify_steps.revision_creating(revisions, relation) or "no revision of this repository"


def not_installed(relation: str) -> str:
    return f"not installed ({relation} comes with {comes_with(relation)})"


class Snapshot:
    """A READ ONLY, REPEATABLE READ transaction: every section sees the same database state."""

    def __init__(self, conn):
        self.conn = conn

    def all(self, query, params=None) -> list[tuple]:
        with self.conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()

    def one(self, query, params=None) -> tuple:
        return self.all(query, params)[0]

    def exists(self, name: str) -> bool:
        return self.one("SELECT to_regclass(%s) IS NOT NULL", (name,))[0]

    def section(self, render, *args) -> list[str]:
        """One section's lines; a failing query becomes one line of the report, rolled back
        to a savepoint so that the sections after it still read the same snapshot."""
        with self.conn.cursor() as cur:
            cur.execute("SAVEPOINT report_section")
        try:
            lines = render(self, *args)
        except psycopg2.Error as exc:
            with self.conn.cursor() as cur:
                cur.execute("ROLLBACK TO SAVEPOINT report_section")
            return [f"could not be produced: {' '.join(str(exc).split())}"]
        with self.conn.cursor() as cur:
            cur.execute("RELEASE SAVEPOINT report_section")
        return lines


# --- sections -----------------------------------------------------------------------------

def verify_section(snap: Snapshot, target: str | None) -> list[str]:
    results = run_checks(snap.conn, target)
    failed = [r for r in results if r.status == "FAIL"]
    lines = table(["check", "result", "detail"], [[r.check, r.status, r.detail] for r in results])
    lines += ["", f"{len(results) - len(failed)}/{len(results)} checks passed"
              + (f"; FAIL: {', '.join(r.check for r in failed)}" if failed else "") + "."]
    return lines


def count_rows(snap: Snapshot) -> list[tuple[str, int | None, dict | None]]:
    """(table, total or None when absent, {source_version: count} or None for the legacy table)."""
    counted = []
    legacy = legacy_table(snap.conn)  # habit_tracker, habit_tracker_old after 0039, None
    if legacy is not None:
        total = snap.one(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("public", legacy)))[0]
        counted.append((legacy, total, None))
    else:
        counted.append((LEGACY_TABLE, None, None))
    for name in NEW_TABLES:
        if not snap.exists(f"public.{name}"):
            counted.append((name, None, None))
            continue
        rows = snap.all(sql.SQL("SELECT {col}, count(*) FROM {table} GROUP BY {col} ORDER BY {col} NULLS LAST").format(
            col=sql.Identifier("source_version"), table=sql.Identifier("public", name)))
        by_version = {NULL_LABEL if version is None else version: count for version, count in rows}
        counted.append((name, sum(by_version.values()), by_version))
    return counted


def per_version(by_version: dict | None) -> str:
    if by_version is None:
        return "(legacy table: no source_version)"
    return ", ".join(f"{version} {count}" for version, count in by_version.items()) or "none"


def counts_section(snap: Snapshot) -> list[str]:
    rows = []
    for name, total, by_version in count_rows(snap):
        if total is None and name == LEGACY_TABLE and dropped(snap.conn):
            rows.append([name, "dropped", "renamed habit_tracker_old by 0039, dropped by 0040 (see Legacy table)"])
        elif total is None:
            rows.append([name, "not installed", f"comes with {comes_with(f'public.{name}')}"])
        else:
            rows.append([name, total, per_version(by_version)])
    return table(["table", "rows", "per source_version"], rows)


def quarantine_section(snap: Snapshot) -> list[str]:
    if not snap.exists(QUARANTINE):
        return [not_installed(QUARANTINE)]
    rows = snap.all("SELECT reason, count(*) FROM migration.backfill_quarantine GROUP BY reason ORDER BY 2 DESC, 1")
    if not rows:
        return ["No legacy row is quarantined."]
    total = sum(count for _, count in rows)
    return table(["reason", "legacy rows"], [list(r) for r in rows] + [["**total**", total]])


def days_section(snap: Snapshot) -> list[str]:
    if not snap.exists(DECISIONS):
        return [not_installed(DECISIONS)]
    a = day_accounts(snap.conn)
    conflict_lines, field_lines = snap.one("SELECT count(*), count(*) FILTER (WHERE field <> 'status') "
                                           "FROM migration.placement_conflicts")
    made, undone = snap.one(f"SELECT count(*), count(undone_at) FROM {DECISIONS}")
    lines = [f"- stranded: {a.stranded} filled days in {a.unresolved_rows} unresolved legacy rows"
             + (" (`make quarantine` lists them)" if a.unresolved_rows else ""),
             f"- conflicts: {a.conflicts} filled days lost to a merge and recorded; migration.placement_conflicts "
             f"holds {conflict_lines} lines ({field_lines} of week fields)",
             f"- discarded: {a.discarded} filled days in {a.discarded_rows} discarded rows (archived)",
             f"- placed: {a.placed} filled days in the new tables on their own date"]
    if a.in_flight:
        lines.append(f"- in flight: {a.in_flight} filled days of {a.in_flight_rows} rows whose writes are still queued")
    if a.ok:
        lines.append("- unaccounted: 0")
    else:
        ids = ", ".join(str(i) for i in a.unaccounted_ids[:EXAMPLES])
        more = f" and {len(a.unaccounted_ids) - EXAMPLES} more" if len(a.unaccounted_ids) > EXAMPLES else ""
        lines.append(f"- **unaccounted: {a.unaccounted} filled days**, of legacy rows {ids}{more}")
    lines.append(f"- decisions (`make quarantine-resolve`): {made} made, {undone} of them undone")
    return lines


def sync_section(snap: Snapshot) -> list[str]:
    lines = []
    if snap.exists(SYNC_QUEUE):
        entries, legacy_rows, oldest = queue_status(snap.conn)
        lines.append(f"- sync queue: {entries} queued writes of {legacy_rows} legacy rows, oldest {oldest:.1f} s")
    else:
        lines.append(f"- sync queue: {not_installed(SYNC_QUEUE)}")
    if snap.exists(SYNC_FAILURES):
        rows = snap.all("SELECT operation, count(*), min(first_failed_at), max(last_failed_at) "
                        "FROM migration.sync_failures GROUP BY operation ORDER BY operation")
        total = sum(r[1] for r in rows)
        detail = "; ".join(f"{op} {count} (first {when(first)}, last {when(last)})" for op, count, first, last in rows)
        lines.append(f"- sync failures: {total} legacy rows not synced" + (f": {detail}; `make resync`" if rows else ""))
    else:
        lines.append(f"- sync failures: {not_installed(SYNC_FAILURES)}")
    return lines


def read_switch_section(snap: Snapshot) -> list[str]:
    if not snap.exists(read_switch.SWITCH):
        return [not_installed(read_switch.SWITCH)]
    now = read_switch.state(snap.conn)
    if now is None:
        return ["**migration.read_switch has no row**: every user reads the legacy table (`make cutover PERCENT=0` restores it)"]
    lines = [f"- share: {now.summary()}, set {when(now.changed_at)} by {now.changed_by}"
             + (f" ({now.note})" if now.note else "")]
    changes = read_switch.history(snap.conn, RECENT_SWITCHES)
    if not changes:
        lines.append("- changes: none since the revision (0% from the start)")
        return lines
    lines += ["", *table(["when", "before", "after", "by", "note"],
                         [[when(c.changed_at), f"{c.percent_before}%", f"{c.percent_after}%", c.changed_by, c.note]
                          for c in changes])]
    return lines


def legacy_table_section(snap: Snapshot) -> list[str]:
    """Phase 3: the retired legacy table's recorded status (0039) and the archives written (0037)."""
    lines = []
    if snap.exists("migration.retired_legacy_table"):
        row = snap.all("""SELECT renamed_at, renamed_by, legacy_rows, legacy_weeks, children, filled_days, checksum
                          FROM migration.retired_legacy_table""")
        if row:
            at, by, rows, weeks, children, days, checksum = row[0]
            lines.append(f"- renamed to habit_tracker_old {when(at)} by {by}: {rows:,} rows, {weeks:,} weeks, "
                         f"{children:,} children, {days:,} filled days, checksum `{checksum}`")
        if dropped(snap.conn):
            gone = snap.all("""SELECT r.dropped_at, r.dropped_by, a.id, a.file_name, a.file_sha256
                               FROM migration.retired_legacy_table AS r
                               LEFT JOIN migration.legacy_archives AS a ON a.id = r.archive_id""")
            if gone and gone[0][0] is not None:
                at, by, archive, file_name, sha256 = gone[0]
                lines.append(f"- dropped {when(at)} by {by}; held by archive {archive}: `{file_name}` (sha256 `{sha256}`)")
    elif snap.exists("public.habit_tracker"):
        lines.append("- habit_tracker in place (the rename, 0039, has not run)")
    if not snap.exists("migration.legacy_archives"):
        return lines + [not_installed("migration.legacy_archives")]
    archives = snap.all("""SELECT archived_at, archived_by, file_name, source_table,
                                  (tables -> ('public.' || source_table) ->> 'rows')::BIGINT
                           FROM migration.legacy_archives ORDER BY id DESC LIMIT 5""")
    if not archives:
        return lines + ["- archives: none recorded (`make archive-legacy`)"]
    legacy = legacy_table(snap.conn)
    source = None if legacy is None else f"public.{legacy}"
    matches = snap.one("SELECT migration.archive_matches(%s::REGCLASS)", (source,))[0] if source else None
    lines.append(f"- an archive matches {source} as it is now: {'yes' if matches else 'no'}" if source
                 else "- the legacy table is dropped; its archives:")
    return lines + ["", *table(["archived", "by", "file", "table", "rows"],
                                [[when(a), b, f, t, r] for a, b, f, t, r in archives])]


def drift_section(url: str) -> list[str]:
    """scripts/drift.py's detect() on a connection of its own (it writes temporary tables)."""
    conn = connect(url, autocommit=False)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", (SYNC_STATE,))
            if not cur.fetchone()[0]:
                return [not_installed(SYNC_STATE)]
        conn.rollback()
        try:
            report = drift.detect(conn)
        except (psycopg2.Error, UsageError) as exc:
            return [f"drift check could not run: {' '.join(str(exc).split())}"]
    finally:
        conn.close()
    checked = report.checked
    lines = [f"Checked {checked.get('legacy_rows', 0)} legacy rows ({checked.get('left_out_recent', 0)} left out as "
             f"in flight; {checked.get('remapped', 0)} rows re-mapped, the others unchanged since their sync); "
             f"{checked.get('weeks_compared', 0)} weeks compared by fingerprint, "
             f"{checked.get('weeks_differing', 0)} row by row.", ""]
    if not report.drift:
        return lines + ["**no drift**"]
    by_severity = Counter(f.severity for f in report.findings)
    lines.append(f"**DRIFT: {len(report.findings)} findings** (" + ", ".join(
        f"{s} {by_severity[s]}" for s in drift.SEVERITY_ORDER if by_severity[s]) + ")")
    lines.append("")
    kinds = Counter((f.severity, f.kind) for f in report.findings)
    rows = []
    for (severity, kind), count in sorted(kinds.items(), key=lambda k: (drift.SEVERITY_ORDER.index(k[0][0]), k[0][1])):
        first = next(f for f in report.findings if f.kind == kind)
        legacy = f"legacy {first.legacy_id}" if first.legacy_id is not None else "no legacy row"
        rows.append([severity, kind, count, f"{legacy}; new {', '.join(first.new_ids) or '-'}: {first.detail}"])
    return lines + table(["severity", "kind", "findings", "first finding"], rows)


def history_rows(snap: Snapshot) -> list[tuple] | None:
    if not snap.exists(HISTORY_TABLE):
        return None
    return snap.all(f"SELECT id, revision, direction, applied_at, applied_by FROM {HISTORY_TABLE} ORDER BY id")


def history_section(snap: Snapshot, script: ScriptDirectory, current: str | None) -> list[str]:
    try:
        applied = State(snap.conn, script, current).applied
        lines = []
    except Exception:  # alembic raises several types for a revision it does not know
        applied = set()
        lines = [f"The database is at {current}, which this repository does not know: "
                 "which revisions are applied cannot be told.", ""]
    steps = history_rows(snap)
    latest: dict[tuple[str, str], tuple] = {}
    for row in steps or ():
        latest[(row[1], row[2])] = row  # ordered by id: the last one wins
    rows = []
    revisions = [script.get_revision(revision) for revision in revision_list(script)]
    for n, rev in enumerate(revisions, 1):
        first_line = (rev.longdoc or "").strip().splitlines()[0] if rev.longdoc else ""
        upgrade, stamp, down = (latest.get((rev.revision, d)) for d in ("upgrade", "stamp", "downgrade"))
        if rev.revision in applied:
            # The latest step that applied it (upgrade, or a stamp to it) unless a later
            # downgrade removed it since (it is applied again through a stamp further up).
            applying = max((row for row in (upgrade, stamp) if row), key=lambda row: row[0], default=None)
            if applying and (not down or down[0] < applying[0]):
                at = (f"{when(applying[3])} by {applying[4]}" if applying[2] == "upgrade"
                      else f"stamped {when(applying[3])} by {applying[4]} (not run)")
            else:
                at = "applied before history was recorded"
            rows.append([n, f"`{rev.revision}`", first_line, "yes", at])
        else:
            at = f"removed {when(down[3])} by {down[4]}" if down else ""
            rows.append([n, f"`{rev.revision}`", first_line, "no", at])
    lines += table(["#", "revision", "what it does", "applied", "when"], rows)
    lines += ["", "### Recorded steps", ""]
    if steps is None:
        return lines + [f"none: {HISTORY_TABLE} does not exist yet (env.py creates it at the first step it applies)"]
    if not steps:
        return lines + ["none recorded"]
    recent = steps[-RECENT_STEPS:][::-1]
    lines.append(f"{len(steps)} steps recorded" + (f"; the last {RECENT_STEPS}, newest first:" if len(steps) > RECENT_STEPS
                                                   else ", newest first:"))
    lines.append("")
    return lines + table(["id", "direction", "revision", "at", "by"],
                         [[i, d, r, when(at), by] for i, r, d, at, by in recent])


# --- the report ---------------------------------------------------------------------------

def build(url: str, target: str | None = None) -> str:
    """The report as Markdown. UsageError when the database cannot be reached or `target` is
    not a revision of this repository."""
    script = ScriptDirectory.from_config(alembic_config())
    conn = connect(url, autocommit=False)
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        snap = Snapshot(conn)
        now, server = snap.one("SELECT now(), current_setting('server_version')")
        current = current_revision(conn)
        head = script.get_current_head()
        target = None if target == "head" else target
        out = [
            "# Habit tracker migration: status report",
            "",
            f"- database: `{redacted(url)}` (PostgreSQL {server})",
            f"- generated at: {when(now)} (the database's clock)",
            f"- current revision: `{current or '(none)'}`" + (" (head)" if current and current == head else
                                                              f" (head is `{head}`)"),
            "",
            f"## Verify checklist (against {'the current revision' if target == 'current' else target or 'head'})",
            "",
            *snap.section(verify_section, target),
            "",
            "## Row counts",
            "",
            *snap.section(counts_section),
            "",
            "## Quarantine by reason",
            "",
            *snap.section(quarantine_section),
            "",
            "## Filled days and quarantine decisions",
            "",
            *snap.section(days_section),
            "",
            "## Sync queue and failures",
            "",
            *snap.section(sync_section),
            "",
            "## Read switch (Phase 2)",
            "",
            *snap.section(read_switch_section),
            "",
            "## Legacy table (Phase 3)",
            "",
            *snap.section(legacy_table_section),
            "",
        ]
        history = snap.section(history_section, script, current)
        conn.rollback()
    finally:
        conn.close()
    out += ["## Drift", "", *drift_section(url), "", "## Migration history", "", *history, ""]
    return "\n".join(out)


def write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="report", description=__doc__.splitlines()[0], usage_line=USAGE)
    parser.add_argument("--output", type=Path, help="write the report here (default: standard output)")
    parser.add_argument("--target", help="the revision verify checks against: head (default), a revision, or current")
    args = parser.parse_args(argv)
    url = database_url()
    try:
        text = build(url, args.target)
    except psycopg2.Error as exc:
        raise UsageError(f"report could not be produced: {' '.join(str(exc).split())}") from None
    if args.output is None:
        print(text, end="")
    else:
        write(args.output, text)
        print(f"report: wrote {args.output}")
    return 0


if __name__ == "__main__":
    cli_main(main)()
