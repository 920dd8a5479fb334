"""`make drift`: prove habit_tracker and the new tables agree, row by row.

    python -m scripts.drift [--json] [--min-age SECONDS] [--examples N] [--full]

The expected side is the mapping of revision 0010 (migration.classified_legacy_rows and the
map_* functions, the same ones the backfill and the sync trigger use). The mapping is a pure
function of the legacy row and the policy, and every sync records, per legacy row, its hash
and the fingerprint of the week the mapping gave (migration.sync_state, revision 0011). So
the mapping is re-evaluated here only for the rows whose hash changed since their sync (new,
changed or deleted rows, and the other rows of their child-week), and for any week whose
fingerprint in the tables differs from the recorded one; `--full` re-maps every row.

The actual side is the new tables' rows written by the mapping (source_version 'migration'
or 'dual_write'). A fingerprint per week (over the week, its habits and records) is compared
first; only the weeks whose fingerprints differ are compared column by column, habit by
habit and record by record. Children, every foreign key's orphans, the source_version
distribution and the quarantine (known exceptions, not drift) are reported too.

Exit 0 no drift, 1 drift found, 2 could not run. With DRIFT_WEBHOOK_URL set, drift is also
posted as a Discord-compatible message (scripts/drift_alert.py); a failing webhook is reported
on stderr and does not change the exit code.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

import psycopg2

from scripts.constraint_violations import constraints, violations
from scripts.database_url import connect
from scripts.drift_alert import post_alert
from scripts.errors import UsageError, cli_main

SEVERITY_ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
MAPPED_SOURCES = ("migration", "dual_write")
TABLES = ("children", "weeks", "habits", "habit_records")


@dataclass
class Finding:
    severity: str
    kind: str
    legacy_id: int | None
    new_ids: list[str]
    detail: str


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    checked: dict = field(default_factory=dict)
    source_versions: dict = field(default_factory=dict)
    quarantine: dict = field(default_factory=dict)

    def add(self, severity: str, kind: str, legacy_id, new_ids, detail: str) -> None:
        self.findings.append(Finding(severity, kind, legacy_id, [str(i) for i in new_ids if i is not None], detail))

    @property
    def drift(self) -> bool:
        return bool(self.findings)

    def most_severe(self, limit: int) -> list[Finding]:
        return sorted(self.findings, key=lambda f: SEVERITY_ORDER.index(f.severity))[:limit]


# --- which legacy rows the mapping must be evaluated for ------------------------------------
# A legacy row whose hash equals the one recorded at its last sync (migration.sync_state,
# revision 0011) maps to what was recorded; every other row is re-mapped, together with the
# rows of its child-week (the duplicate_week rule looks across them). --full re-maps all.

# Legacy writes queued for the drain (revision 0013) are in flight, like rows younger than
# --min-age: they and the other rows of their children are left out of the comparison.
QUEUED = (
    """CREATE TEMP TABLE drift_queued ON COMMIT DROP AS
       SELECT NULL::BIGINT AS legacy_id, NULL::TIMESTAMPTZ AS enqueued_at WHERE FALSE""",
)
QUEUED_FROM_TABLE = """INSERT INTO drift_queued
                       SELECT legacy_id, min(enqueued_at) FROM migration.sync_queue GROUP BY legacy_id"""
SYNC_BACKLOG_LIMIT_SECONDS = 300

SELECT_ROWS = (
    """CREATE TEMP TABLE drift_in_flight ON COMMIT DROP AS
       SELECT legacy_id FROM drift_queued
       UNION
       SELECT h.id FROM habit_tracker h
       JOIN (SELECT user_id, child_name FROM habit_tracker WHERE id IN (SELECT legacy_id FROM drift_queued)
             UNION
             SELECT user_id, child_name FROM migration.sync_state
             WHERE legacy_id IN (SELECT legacy_id FROM drift_queued)) c USING (user_id, child_name)""",
    """CREATE TEMP TABLE drift_legacy ON COMMIT DROP AS
       SELECT h.id AS legacy_id, migration.row_hash(h) AS row_hash, h.user_id, h.child_name,
              h.updated_at > now() - make_interval(secs => %(min_age)s)
                  OR h.id IN (SELECT legacy_id FROM drift_in_flight) AS recent
       FROM habit_tracker h
       WHERE %(user_id)s::UUID IS NULL OR h.user_id = %(user_id)s::UUID""",
    # Temporary tables have no statistics until analyzed (autovacuum never does): without
    # them a one-user check planned the later joins as scans of whole tables.
    "ANALYZE drift_legacy",
    """CREATE TEMP TABLE drift_recent ON COMMIT DROP AS
       SELECT legacy_id, migration.week_id(legacy_id) AS week_id FROM drift_legacy WHERE recent
       UNION
       SELECT legacy_id, migration.week_id(legacy_id) FROM drift_in_flight""",
    # Rows changed since their last sync, and recorded rows whose legacy row is gone.
    """CREATE TEMP TABLE drift_stale ON COMMIT DROP AS
       SELECT l.legacy_id FROM drift_legacy l LEFT JOIN migration.sync_state s USING (legacy_id)
       WHERE l.recent IS NOT TRUE AND (%(full)s OR s.row_hash IS DISTINCT FROM l.row_hash)
       UNION ALL
       SELECT s.legacy_id FROM migration.sync_state s
       WHERE NOT EXISTS (SELECT 1 FROM drift_legacy l WHERE l.legacy_id = s.legacy_id)
         AND s.legacy_id NOT IN (SELECT legacy_id FROM drift_in_flight)
         AND (%(user_id)s::UUID IS NULL OR s.user_id = %(user_id)s::UUID)""",
    """CREATE TEMP TABLE drift_groups ON COMMIT DROP AS
       SELECT s.user_id, s.child_name, s.monday FROM migration.sync_state s JOIN drift_stale USING (legacy_id)
       UNION
       SELECT h.user_id, h.child_name, migration.week_start(h) FROM habit_tracker h JOIN drift_stale d ON d.legacy_id = h.id""",
    # Child-weeks claimed by more than one legacy row, and rows quarantined as duplicate_week,
    # are always re-mapped: their outcome depends on rows other than their own.
    """INSERT INTO drift_groups
       SELECT user_id, child_name, monday FROM migration.sync_state
       WHERE monday IS NOT NULL AND (%(user_id)s::UUID IS NULL OR user_id = %(user_id)s::UUID)
       GROUP BY 1, 2, 3 HAVING count(*) > 1""",
    """CREATE TEMP TABLE drift_remap ON COMMIT DROP AS
       SELECT legacy_id FROM drift_stale
       UNION
       SELECT s.legacy_id FROM migration.sync_state s JOIN drift_groups g USING (user_id, child_name, monday)
       UNION
       SELECT q.legacy_id FROM migration.backfill_quarantine q JOIN drift_legacy USING (legacy_id)
       WHERE q.reason = 'duplicate_week'""",
    # Rows taken on trust: recorded, unchanged, not re-mapped.
    """CREATE TEMP TABLE drift_trusted ON COMMIT DROP AS
       SELECT s.* FROM migration.sync_state s JOIN drift_legacy l USING (legacy_id)
       WHERE l.recent IS NOT TRUE AND NOT %(full)s AND s.row_hash = l.row_hash
         AND s.legacy_id NOT IN (SELECT legacy_id FROM drift_remap)""",
)

# Fingerprints, set-based: one per week over what the week, its habits and records hold, with
# the line and fingerprint functions of revision 0011 (the sync records the same).
FINGERPRINT = """
SELECT w.id AS week_id, migration.week_fingerprint(w.child_id, w.user_id, w.week_start_date, w.week_end_date, w.theme,
                                                   w.reflection, w.reward, hs.lines, rs.lines) AS fingerprint
FROM {weeks} w
LEFT JOIN (SELECT week_id, string_agg(migration.habit_line(id, name, display_order), ';' ORDER BY id) AS lines
           FROM {habits} GROUP BY week_id) hs ON hs.week_id = w.id
LEFT JOIN (SELECT h.week_id, string_agg(migration.record_line(r.id, r.habit_id, r.record_date, r.status), ';'
                                        ORDER BY r.id) AS lines
           FROM {records} r JOIN {habits} h ON h.id = r.habit_id GROUP BY h.week_id) rs ON rs.week_id = w.id
"""
ACTUAL = (
    """CREATE TEMP TABLE a_weeks ON COMMIT DROP AS
       SELECT * FROM weeks WHERE source_version IN ('migration', 'dual_write')
         AND id NOT IN (SELECT week_id FROM drift_recent)
         AND (%(user_id)s::UUID IS NULL OR user_id = %(user_id)s::UUID)""",
    "ANALYZE a_weeks",
    "CREATE TEMP TABLE a_habits ON COMMIT DROP AS SELECT h.* FROM habits h WHERE {habits_of_a_weeks}",
    "ANALYZE a_habits",
    "CREATE TEMP TABLE a_records ON COMMIT DROP AS SELECT r.* FROM habit_records r WHERE {records_of_a_habits}",
    "CREATE TEMP TABLE a_fp ON COMMIT DROP AS " + FINGERPRINT.format(weeks="a_weeks", habits="a_habits", records="a_records"),
)
# How the habits and records of the compared weeks are found. For every user, a semi-join
# over the whole tables. For one user (verify_consistency), an index probe with the few ids:
# planned as a join, the probe lost to a scan of all of habit_records (11.8 ms against
# 1.0 ms at 2,000 legacy weeks); as `= ANY` over every id of a large table it would lose.
CHILD_ROWS = {
    "all": {"habits_of_a_weeks": "h.week_id IN (SELECT id FROM a_weeks)",
            "records_of_a_habits": "r.habit_id IN (SELECT id FROM a_habits)"},
    "one user": {"habits_of_a_weeks": "h.week_id = ANY(ARRAY(SELECT id FROM a_weeks))",
                 "records_of_a_habits": "r.habit_id = ANY(ARRAY(SELECT id FROM a_habits))"},
}

# --- the expected side: the mapping, for the rows not taken on trust -------------------------
EXPECTED = (
    # A trusted row whose week is missing or differs is re-mapped too, for the row-by-row detail.
    """INSERT INTO drift_remap
       SELECT t.legacy_id FROM drift_trusted t LEFT JOIN a_fp a USING (week_id)
       WHERE t.week_id IS NOT NULL AND a.fingerprint IS DISTINCT FROM t.fingerprint""",
    "DELETE FROM drift_trusted WHERE legacy_id IN (SELECT legacy_id FROM drift_remap)",
    "ANALYZE drift_remap",
    """CREATE TEMP TABLE drift_rows ON COMMIT DROP AS
       SELECT c.* FROM migration.classified_legacy_rows c
       WHERE c.legacy_id IN (SELECT legacy_id FROM drift_remap)
         AND c.legacy_id NOT IN (SELECT legacy_id FROM drift_recent)""",
    """CREATE TEMP TABLE e_weeks ON COMMIT DROP AS
       SELECT w.* FROM drift_rows c CROSS JOIN LATERAL migration.map_week(c.legacy, c.monday) w WHERE c.reason IS NULL""",
    """CREATE TEMP TABLE e_habits ON COMMIT DROP AS
       SELECT m.* FROM drift_rows c CROSS JOIN LATERAL migration.map_habits(c.legacy_id, (c.legacy).habits) m
       WHERE c.reason IS NULL""",
    """CREATE TEMP TABLE e_records ON COMMIT DROP AS
       SELECT m.* FROM drift_rows c
       CROSS JOIN LATERAL migration.map_records(c.legacy_id, c.monday, (c.legacy).habits) m WHERE c.reason IS NULL""",
    # Every expected week: re-mapped ones from the mapping, the others as recorded.
    "CREATE TEMP TABLE e_fp ON COMMIT DROP AS " + FINGERPRINT.format(weeks="e_weeks", habits="e_habits", records="e_records"),
    "INSERT INTO e_fp SELECT week_id, fingerprint FROM drift_trusted WHERE week_id IS NOT NULL",
    "CREATE TEMP TABLE differing ON COMMIT DROP AS SELECT e.week_id FROM e_fp e JOIN a_fp a USING (week_id) "
    "WHERE e.fingerprint <> a.fingerprint",
)

MISSING_WEEKS = """SELECT w.legacy_id, w.id, w.child_name, w.week_start_date FROM e_weeks w
                   WHERE NOT EXISTS (SELECT 1 FROM a_weeks a WHERE a.id = w.id) ORDER BY w.legacy_id"""
EXTRA_WEEKS = """SELECT a.id, a.week_start_date, q.legacy_id, q.reason FROM a_weeks a
                 LEFT JOIN migration.backfill_quarantine q ON migration.week_id(q.legacy_id) = a.id
                 WHERE NOT EXISTS (SELECT 1 FROM e_fp e WHERE e.week_id = a.id) ORDER BY a.id"""
WEEK_FIELDS = """SELECT e.legacy_id, e.id, e.child_id <> a.child_id OR e.user_id <> a.user_id,
                        e.week_start_date <> a.week_start_date OR e.week_end_date <> a.week_end_date,
                        e.week_start_date, a.week_start_date,
                        ARRAY_REMOVE(ARRAY[
                            CASE WHEN e.theme IS DISTINCT FROM a.theme THEN 'theme' END,
                            CASE WHEN e.reflection IS DISTINCT FROM a.reflection THEN 'reflection' END,
                            CASE WHEN e.reward IS DISTINCT FROM a.reward THEN 'reward' END], NULL)
                 FROM e_weeks e JOIN a_weeks a USING (id) WHERE e.id IN (SELECT week_id FROM differing)"""
HABITS = """SELECT coalesce(e.legacy_id, w.legacy_id), coalesce(e.id, a.id), e.name, a.name, e.display_order, a.display_order
            FROM (SELECT * FROM e_habits WHERE week_id IN (SELECT week_id FROM differing)) e
            FULL JOIN (SELECT * FROM a_habits WHERE week_id IN (SELECT week_id FROM differing)) a USING (id)
            LEFT JOIN e_weeks w ON w.id = a.week_id
            WHERE (e.name, e.display_order) IS DISTINCT FROM (a.name, a.display_order)"""
RECORDS = """SELECT coalesce(e.legacy_id, w.legacy_id), coalesce(e.id, a.id), e.status, a.status,
                    e.record_date, a.record_date
             FROM (SELECT r.* FROM e_records r JOIN e_habits h ON h.id = r.habit_id
                   WHERE h.week_id IN (SELECT week_id FROM differing)) e
             FULL JOIN (SELECT r.*, h.week_id FROM a_records r JOIN a_habits h ON h.id = r.habit_id
                        WHERE h.week_id IN (SELECT week_id FROM differing)) a USING (id)
             LEFT JOIN e_weeks w ON w.id = a.week_id
             WHERE (e.status, e.record_date) IS DISTINCT FROM (a.status, a.record_date)"""
CHILDREN = """WITH expected AS (SELECT child_id AS id, user_id, child_name AS name FROM e_weeks
                                 UNION
                                 SELECT migration.child_id(t.user_id, t.child_name), t.user_id, t.child_name
                                 FROM drift_trusted t WHERE t.week_id IS NOT NULL),
                   actual AS (SELECT id, user_id, name FROM children WHERE source_version IN ('migration', 'dual_write')
                              AND (%(user_id)s::UUID IS NULL OR user_id = %(user_id)s::UUID))
              SELECT e.id, e.name, a.id, a.name FROM expected e FULL JOIN actual a USING (id)
              WHERE e.name IS DISTINCT FROM a.name
                AND (a.id IS NULL OR NOT EXISTS (SELECT 1 FROM drift_recent r JOIN weeks w ON w.id = r.week_id
                                                 WHERE w.child_id = a.id))"""
# Recorded by the sync trigger (revision 0012) when a legacy write could not be synced.
SYNC_FAILURES = """SELECT f.legacy_id, f.operation, f.sqlstate, f.message, f.attempts, f.last_failed_at
                   FROM migration.sync_failures f
                   WHERE %(user_id)s::UUID IS NULL
                      OR f.legacy_id IN (SELECT legacy_id FROM drift_legacy UNION SELECT legacy_id FROM migration.sync_state
                                         WHERE user_id = %(user_id)s::UUID)
                   ORDER BY f.legacy_id"""
SOURCE_VERSIONS = " UNION ALL ".join(
    f"SELECT '{table}', coalesce(source_version, '(null)'), count(*) FROM {table} GROUP BY 2" for table in TABLES
)
QUARANTINE = """SELECT q.reason, count(*) FROM migration.backfill_quarantine q
                WHERE EXISTS (SELECT 1 FROM habit_tracker h WHERE h.id = q.legacy_id) GROUP BY q.reason ORDER BY 1"""


def select_rows(cur, min_age: float, full: bool, user_id: str | None = None) -> dict:
    """Create drift_remap (the rows to re-map) and drift_trusted (the rows taken on trust),
    for every user or for one; return the parameters the later statements take."""
    params = {"min_age": min_age, "full": full, "user_id": user_id}
    for statement in QUEUED:
        cur.execute(statement)
    cur.execute("SELECT to_regclass('migration.sync_queue') IS NOT NULL")
    if cur.fetchone()[0]:
        cur.execute(QUEUED_FROM_TABLE)
    for statement in SELECT_ROWS:
        cur.execute(statement, params)
    return params


def _fetch(cur, query, params=None):
    cur.execute(query, params)
    return cur.fetchall()


def detect(conn, min_age: float = 0.0, full: bool = False, user_id: str | None = None) -> Report:
    """Compare the whole legacy table with the new tables; read-only (temporary tables only).

    full=True re-maps every legacy row instead of trusting the recorded sync state. user_id
    limits the comparison to one user's rows (the endpoint's verify_consistency); the
    checks that are not one user's (orphans, the queue's backlog, the source_version and
    quarantine totals) are then left out."""
    report = Report()
    # One snapshot for both sides; the run writes only temporary tables.
    conn.set_session(isolation_level="REPEATABLE READ")
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('migration.sync_state') IS NOT NULL")
        if not cur.fetchone()[0]:
            raise UsageError("the database has no mapping sync state: upgrade to 0011_sync_state or later")
        params = select_rows(cur, min_age, full, user_id)
        child_rows = CHILD_ROWS["all" if user_id is None else "one user"]
        for statement in ACTUAL:
            cur.execute(statement.format(**child_rows), params)
        for statement in EXPECTED:
            cur.execute(statement, params)
        for legacy_id, week_id, child, start in _fetch(cur, MISSING_WEEKS):
            report.add("CRITICAL", "MISSING_WEEK", legacy_id, [week_id], f"{child} week of {start} is not in weeks")
        for week_id, start, quarantined_id, reason in _fetch(cur, EXTRA_WEEKS):
            why = (f"its legacy row {quarantined_id} is quarantined ({reason})" if quarantined_id
                   else "no legacy row maps to it")
            report.add("HIGH", "EXTRA_WEEK", quarantined_id, [week_id], f"week of {start}: {why}")
        for legacy_id, week_id, owner_differs, moved, expected_start, actual_start, fields in _fetch(cur, WEEK_FIELDS):
            if owner_differs:
                report.add("HIGH", "WEEK_OWNER_MISMATCH", legacy_id, [week_id], "child or user differs")
            if moved:
                report.add("HIGH", "WEEK_MOVED", legacy_id, [week_id], f"starts {actual_start}, legacy says {expected_start}")
            if fields:
                report.add("MEDIUM", "WEEK_DATA_MISMATCH", legacy_id, [week_id], f"differs in {', '.join(fields)}")
        for legacy_id, habit_id, e_name, a_name, e_order, a_order in _fetch(cur, HABITS):
            if a_name is None:
                report.add("HIGH", "MISSING_HABIT", legacy_id, [habit_id], f"habit {e_name!r} (position {e_order}) missing")
            elif e_name is None:
                report.add("MEDIUM", "EXTRA_HABIT", legacy_id, [habit_id], f"habit {a_name!r} has no legacy counterpart")
            elif e_name != a_name:
                report.add("MEDIUM", "HABIT_RENAMED", legacy_id, [habit_id], f"named {a_name!r}, legacy says {e_name!r}")
            else:
                report.add("LOW", "HABIT_REORDERED", legacy_id, [habit_id], f"{a_name!r} at {a_order}, legacy says {e_order}")
        for legacy_id, record_id, e_status, a_status, e_date, a_date in _fetch(cur, RECORDS):
            if a_status is None:
                report.add("HIGH", "MISSING_RECORD", legacy_id, [record_id], f"{e_status} on {e_date} missing")
            elif e_status is None:
                report.add("MEDIUM", "EXTRA_RECORD", legacy_id, [record_id], f"{a_status} on {a_date} has no legacy counterpart")
            elif e_status != a_status:
                report.add("MEDIUM", "STATUS_MISMATCH", legacy_id, [record_id], f"{a_status} on {a_date}, legacy says {e_status}")
            else:
                report.add("MEDIUM", "RECORD_DATE_MISMATCH", legacy_id, [record_id], f"dated {a_date}, legacy says {e_date}")
        for e_id, e_name, a_id, a_name in _fetch(cur, CHILDREN, params):
            if a_id is None:
                report.add("CRITICAL", "MISSING_CHILD", None, [e_id], f"child {e_name!r} is not in children")
            elif e_id is None:
                report.add("LOW", "EXTRA_CHILD", None, [a_id], f"child {a_name!r} has no legacy week")
            else:
                report.add("HIGH", "CHILD_RENAMED", None, [a_id], f"named {a_name!r}, legacy says {e_name!r}")
        cur.execute("SELECT to_regclass('migration.sync_failures') IS NOT NULL")
        if cur.fetchone()[0]:
            for legacy_id, operation, state, message, attempts, last in _fetch(cur, SYNC_FAILURES, params):
                report.add("HIGH", "SYNC_FAILED", legacy_id, [],
                           f"{operation} not synced ({state}: {message}); {attempts} attempts, last {last:%Y-%m-%d %H:%M:%S}; "
                           "make resync")
        queued, oldest, since = _fetch(cur, """SELECT count(*), extract(EPOCH FROM now() - min(enqueued_at)),
                                                     min(enqueued_at) FROM drift_queued""")[0]
        if queued and oldest > SYNC_BACKLOG_LIMIT_SECONDS and user_id is None:
            # The oldest write's time, not its age: the finding reads the same however often it is checked.
            report.add("HIGH", "SYNC_BACKLOG", None, [],
                       f"{queued} legacy rows wait in migration.sync_queue, the oldest since "
                       f"{since.isoformat(timespec='seconds')} (over {SYNC_BACKLOG_LIMIT_SECONDS // 60} min): "
                       "no drain is running (pg_cron job 'drain-sync-queue' or make sync-worker)")
        report.checked = {
            "legacy_rows": _fetch(cur, "SELECT count(*) FROM drift_legacy WHERE recent IS NOT TRUE")[0][0],
            "remapped": _fetch(cur, "SELECT count(*) FROM drift_rows")[0][0],
            "left_out_recent": _fetch(cur, "SELECT count(*) FROM drift_recent")[0][0],
            "queued": queued,
            "weeks_compared": _fetch(cur, "SELECT count(*) FROM e_fp")[0][0],
            "weeks_differing": _fetch(cur, "SELECT count(*) FROM differing")[0][0],
        }
        if user_id is not None:
            conn.rollback()
            return report
        sources: dict = defaultdict(dict)
        for table, source, count in _fetch(cur, SOURCE_VERSIONS):
            sources[table][source] = count
        report.source_versions = dict(sources)
        report.quarantine = dict(_fetch(cur, QUARANTINE))
    for fk in constraints(conn, kind="f"):
        found = violations(conn, fk)
        if found.count:
            report.add("CRITICAL", "ORPHAN", None, list(found.sample_ids),
                       f"{found.count} rows of {fk.table} break {fk.name}")
    conn.rollback()
    return report


def render_text(report: Report, examples: int) -> str:
    lines = [f"checked {report.checked['legacy_rows']} legacy rows ({report.checked['left_out_recent']} changed too "
             f"recently or queued, left out; {report.checked['remapped']} re-mapped, the others unchanged since their sync), "
             f"{report.checked['weeks_compared']} weeks by fingerprint, "
             f"{report.checked['weeks_differing']} compared row by row"]
    kinds = Counter((f.severity, f.kind) for f in report.findings)
    for (severity, kind), count in sorted(kinds.items(), key=lambda k: (SEVERITY_ORDER.index(k[0][0]), k[0][1])):
        lines.append(f"{severity:<8} {kind}: {count}")
        for f in [f for f in report.findings if f.kind == kind][:examples]:
            legacy = f"legacy {f.legacy_id}" if f.legacy_id is not None else "no legacy row"
            lines.append(f"           {legacy}; new {', '.join(f.new_ids)}: {f.detail}")
    known = ", ".join(f"{reason} {count}" for reason, count in report.quarantine.items()) or "none"
    lines.append(f"known exceptions (quarantined legacy rows, not drift): {known}")
    for table, counts in report.source_versions.items():
        lines.append(f"source_version {table}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    lines.append(f"DRIFT: {len(report.findings)} findings" if report.drift else "no drift")
    return "\n".join(lines)


def render_json(report: Report, examples: int) -> str:
    by_kind = Counter(f.kind for f in report.findings)
    sample = [asdict(f) for kind in by_kind for f in [x for x in report.findings if x.kind == kind][:examples]]
    return json.dumps({
        "drift": report.drift, "findings": len(report.findings), "by_kind": dict(by_kind),
        "by_severity": dict(Counter(f.severity for f in report.findings)), "examples": sample,
        "checked": report.checked, "source_versions": report.source_versions, "quarantine": report.quarantine,
    }, ensure_ascii=False, indent=2, default=str)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="drift", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--min-age", type=float, default=0.0, metavar="SECONDS",
                        help="leave out legacy rows changed in the last SECONDS (writes in flight)")
    parser.add_argument("--examples", type=int, default=3, help="examples shown per kind of finding")
    parser.add_argument("--full", action="store_true",
                        help="re-map every legacy row instead of trusting rows unchanged since their last sync")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        raise UsageError("usage: python -m scripts.drift [--json] [--min-age SECONDS] [--examples N] [--full]") from exc
    if args.min_age < 0 or args.examples < 0:
        raise UsageError("--min-age and --examples must not be negative")
    conn = connect(autocommit=False)
    try:
        report = detect(conn, args.min_age, args.full)
    except psycopg2.Error as exc:
        raise UsageError(f"drift check could not run: {' '.join(str(exc).split())}") from None
    finally:
        conn.close()
    print(render_json(report, args.examples) if args.json else render_text(report, args.examples))
    webhook = os.environ.get("DRIFT_WEBHOOK_URL")
    if report.drift and webhook:
        error = post_alert(webhook, report.findings, report.most_severe(10))
        if error:
            print(f"drift: alert not sent: {error}", file=sys.stderr)
    return 1 if report.drift else 0


if __name__ == "__main__":
    cli_main(main)()
