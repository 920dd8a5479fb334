"""The drift check: prove habit_tracker and the new tables agree, row by row.

Shared by `make drift` (scripts/commands/drift.py), the endpoint's verify_consistency
(scripts/dual_write/consistency.py), resync and the report.

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

"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import psycopg2

from scripts.db.constraint_violations import constraints, violations
from scripts.db.database_url import connect
from scripts.db.errors import UsageError

SEVERITY_ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
MAPPED_SOURCES = ("migration", "dual_write")
TABLES = ("children", "weeks", "habits", "habit_records")
# Findings about no one user's rows: a check of one user leaves them out.
EVERY_USER_ONLY = ("ORPHAN", "SYNC_BACKLOG")


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


# --- the relations the check is built from, in order ------------------------------------------
# Each is a SELECT over the tables and the relations before it. For every user they become
# temporary tables, some ANALYZEd (autovacuum never analyzes a temporary table, and without
# statistics a later join was planned as a scan of a whole table). For one user (the
# endpoint's verify_consistency) they are the CTEs of one statement with the report: at 30
# legacy rows the 18 temporary tables cost 48 ms of catalog work and round trips, for data
# that a single statement reads in a few.


@dataclass(frozen=True)
class Relation:
    name: str
    query: str
    analyze: bool = False


# Legacy writes queued for the drain (revision 0013) are in flight, like rows younger than
# --min-age: they and the other rows of their children are left out of the comparison.
QUEUED = {
    True: "SELECT legacy_id, min(enqueued_at) AS enqueued_at FROM migration.sync_queue GROUP BY legacy_id",
    False: "SELECT NULL::BIGINT AS legacy_id, NULL::TIMESTAMPTZ AS enqueued_at WHERE FALSE",
}
SYNC_BACKLOG_LIMIT_SECONDS = 300

# Which legacy rows the mapping must be evaluated for. A legacy row whose hash equals the one
# recorded at its last sync (migration.sync_state, revision 0011) maps to what was recorded;
# every other row is re-mapped, together with the rows of its child-week (the duplicate_week
# rule looks across them). --full re-maps all. `make resync` re-syncs drift_out_of_step.
SELECT_ROWS = (
    Relation("drift_in_flight", """
       SELECT legacy_id FROM drift_queued
       UNION
       SELECT h.id FROM habit_tracker h
       JOIN (SELECT user_id, child_name FROM habit_tracker WHERE id IN (SELECT legacy_id FROM drift_queued)
             UNION
             SELECT user_id, child_name FROM migration.sync_state
             WHERE legacy_id IN (SELECT legacy_id FROM drift_queued)) c USING (user_id, child_name)"""),
    Relation("drift_legacy", """
       SELECT h.id AS legacy_id, migration.row_hash(h) AS row_hash, h.user_id, h.child_name,
              h.updated_at > now() - make_interval(secs => %(min_age)s)
                  OR h.id IN (SELECT legacy_id FROM drift_in_flight) AS recent
       FROM habit_tracker h
       WHERE {every_user_or} h.user_id = %(user_id)s::UUID""", analyze=True),
    Relation("drift_recent", """
       SELECT legacy_id, migration.week_id(legacy_id) AS week_id FROM drift_legacy WHERE recent
       UNION
       SELECT legacy_id, migration.week_id(legacy_id) FROM drift_in_flight"""),
    # Rows changed since their last sync, and recorded rows whose legacy row is gone.
    Relation("drift_stale", """
       SELECT l.legacy_id FROM drift_legacy l LEFT JOIN migration.sync_state s USING (legacy_id)
       WHERE l.recent IS NOT TRUE AND (%(full)s OR s.row_hash IS DISTINCT FROM l.row_hash)
       UNION ALL
       SELECT s.legacy_id FROM migration.sync_state s
       WHERE NOT EXISTS (SELECT 1 FROM drift_legacy l WHERE l.legacy_id = s.legacy_id)
         AND s.legacy_id NOT IN (SELECT legacy_id FROM drift_in_flight)
         AND ({every_user_or} s.user_id = %(user_id)s::UUID)"""),
    # Their child-weeks; and child-weeks claimed by more than one legacy row, always re-mapped
    # (like rows quarantined as duplicate_week): their outcome depends on rows other than their own.
    Relation("drift_groups", """
       SELECT s.user_id, s.child_name, s.monday FROM migration.sync_state s JOIN drift_stale USING (legacy_id)
       UNION
       SELECT h.user_id, h.child_name, migration.week_start(h) FROM habit_tracker h JOIN drift_stale d ON d.legacy_id = h.id
       UNION
       SELECT user_id, child_name, monday FROM migration.sync_state
       WHERE monday IS NOT NULL AND ({every_user_or} user_id = %(user_id)s::UUID)
       GROUP BY 1, 2, 3 HAVING count(*) > 1"""),
    Relation("drift_out_of_step", """
       SELECT legacy_id FROM drift_stale
       UNION
       SELECT s.legacy_id FROM migration.sync_state s JOIN drift_groups g USING (user_id, child_name, monday)
       UNION
       SELECT q.legacy_id FROM migration.backfill_quarantine q JOIN drift_legacy USING (legacy_id)
       WHERE q.reason = 'duplicate_week'"""),
    # Rows recorded, unchanged since: taken on trust unless their week's fingerprint differs.
    Relation("drift_in_step", """
       SELECT s.* FROM migration.sync_state s JOIN drift_legacy l USING (legacy_id)
       WHERE l.recent IS NOT TRUE AND NOT %(full)s AND s.row_hash = l.row_hash
         AND s.legacy_id NOT IN (SELECT legacy_id FROM drift_out_of_step)"""),
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
# The actual side: the new tables' rows the mapping wrote, but for the weeks in flight.
ACTUAL = (
    Relation("a_weeks", """
       SELECT * FROM weeks WHERE source_version IN ('migration', 'dual_write')
         AND id NOT IN (SELECT week_id FROM drift_recent)
         AND ({every_user_or} user_id = %(user_id)s::UUID)""", analyze=True),
    Relation("a_habits", "SELECT h.* FROM habits h WHERE {habits_of_a_weeks}", analyze=True),
    Relation("a_records", "SELECT r.* FROM habit_records r WHERE {records_of_a_habits}"),
    Relation("a_fp", FINGERPRINT.format(weeks="a_weeks", habits="a_habits", records="a_records")),
)
# What differs between checking every user and one user (the endpoint's verify_consistency).
# - every_user_or: every user's rows are read; one user's, by that user's indexes. A filter
#   `%(user_id)s IS NULL OR ...` would do both, but a generic plan (the endpoint prepares the
#   check) cannot fold it away and scans whole tables.
# - The habits and records of the compared weeks. For every user, a semi-join over the whole
#   tables. For one user, an index probe with the few ids: planned as a join, the probe lost
#   to a scan of all of habit_records (11.8 ms against 1.0 ms at 2,000 legacy weeks); as
#   `= ANY` over every id of a large table it would lose.
SCOPE = {
    "every user": {"every_user_or": "TRUE OR",
                   "habits_of_a_weeks": "h.week_id IN (SELECT id FROM a_weeks)",
                   "records_of_a_habits": "r.habit_id IN (SELECT id FROM a_habits)"},
    "one user": {"every_user_or": "",
                 "habits_of_a_weeks": "h.week_id = ANY(ARRAY(SELECT id FROM a_weeks))",
                 "records_of_a_habits": "r.habit_id = ANY(ARRAY(SELECT id FROM a_habits))"},
}

# The expected side: the mapping, for the rows not taken on trust.
EXPECTED = (
    # Out of step, or in step but their week is missing or differs (re-mapped for the detail).
    Relation("drift_remap", """
       SELECT legacy_id FROM drift_out_of_step
       UNION
       SELECT t.legacy_id FROM drift_in_step t LEFT JOIN a_fp a USING (week_id)
       WHERE t.week_id IS NOT NULL AND a.fingerprint IS DISTINCT FROM t.fingerprint""", analyze=True),
    Relation("drift_trusted", "SELECT * FROM drift_in_step WHERE legacy_id NOT IN (SELECT legacy_id FROM drift_remap)"),
    Relation("drift_rows", """
       SELECT c.* FROM migration.classified_legacy_rows c
       WHERE c.legacy_id IN (SELECT legacy_id FROM drift_remap)
         AND c.legacy_id NOT IN (SELECT legacy_id FROM drift_recent)"""),
    Relation("e_weeks", """
       SELECT w.* FROM drift_rows c CROSS JOIN LATERAL migration.map_week(c.legacy, c.monday) w WHERE c.reason IS NULL"""),
    Relation("e_habits", """
       SELECT m.* FROM drift_rows c CROSS JOIN LATERAL migration.map_habits(c.legacy_id, (c.legacy).habits) m
       WHERE c.reason IS NULL"""),
    Relation("e_records", """
       SELECT m.* FROM drift_rows c
       CROSS JOIN LATERAL migration.map_records(c.legacy_id, c.monday, (c.legacy).habits) m WHERE c.reason IS NULL"""),
    # Every expected week: re-mapped ones from the mapping, the others as recorded.
    Relation("e_fp", FINGERPRINT.format(weeks="e_weeks", habits="e_habits", records="e_records")
             + " UNION ALL SELECT week_id, fingerprint FROM drift_trusted WHERE week_id IS NOT NULL"),
    Relation("differing", "SELECT e.week_id FROM e_fp e JOIN a_fp a USING (week_id) WHERE e.fingerprint <> a.fingerprint"),
)

# --- the report: one statement over the relations ---------------------------------------------
# Each finding query's rows come back as one JSON array (its columns named, in order), sorted.
FINDINGS = {
    "missing_weeks": """SELECT w.legacy_id, w.id AS week_id, w.child_name, w.week_start_date FROM e_weeks w
                        WHERE NOT EXISTS (SELECT 1 FROM a_weeks a WHERE a.id = w.id)""",
    "extra_weeks": """SELECT a.id AS week_id, a.week_start_date, q.legacy_id, q.reason FROM a_weeks a
                      LEFT JOIN migration.backfill_quarantine q ON migration.week_id(q.legacy_id) = a.id
                      WHERE NOT EXISTS (SELECT 1 FROM e_fp e WHERE e.week_id = a.id)""",
    "week_fields": """SELECT e.legacy_id, e.id AS week_id, e.child_id <> a.child_id OR e.user_id <> a.user_id AS owner_differs,
                             e.week_start_date <> a.week_start_date OR e.week_end_date <> a.week_end_date AS moved,
                             e.week_start_date AS expected_start, a.week_start_date AS actual_start,
                             ARRAY_REMOVE(ARRAY[
                                 CASE WHEN e.theme IS DISTINCT FROM a.theme THEN 'theme' END,
                                 CASE WHEN e.reflection IS DISTINCT FROM a.reflection THEN 'reflection' END,
                                 CASE WHEN e.reward IS DISTINCT FROM a.reward THEN 'reward' END], NULL) AS fields
                      FROM e_weeks e JOIN a_weeks a USING (id) WHERE e.id IN (SELECT week_id FROM differing)""",
    "habits": """SELECT coalesce(e.legacy_id, w.legacy_id) AS legacy_id, coalesce(e.id, a.id) AS habit_id,
                        e.name AS expected_name, a.name AS actual_name,
                        e.display_order AS expected_order, a.display_order AS actual_order
                 FROM (SELECT * FROM e_habits WHERE week_id IN (SELECT week_id FROM differing)) e
                 FULL JOIN (SELECT * FROM a_habits WHERE week_id IN (SELECT week_id FROM differing)) a USING (id)
                 LEFT JOIN e_weeks w ON w.id = a.week_id
                 WHERE (e.name, e.display_order) IS DISTINCT FROM (a.name, a.display_order)""",
    "records": """SELECT coalesce(e.legacy_id, w.legacy_id) AS legacy_id, coalesce(e.id, a.id) AS record_id,
                         e.status AS expected_status, a.status AS actual_status,
                         e.record_date AS expected_date, a.record_date AS actual_date
                  FROM (SELECT r.* FROM e_records r JOIN e_habits h ON h.id = r.habit_id
                        WHERE h.week_id IN (SELECT week_id FROM differing)) e
                  FULL JOIN (SELECT r.*, h.week_id FROM a_records r JOIN a_habits h ON h.id = r.habit_id
                             WHERE h.week_id IN (SELECT week_id FROM differing)) a USING (id)
                  LEFT JOIN e_weeks w ON w.id = a.week_id
                  WHERE (e.status, e.record_date) IS DISTINCT FROM (a.status, a.record_date)""",
    "children": """WITH expected AS (SELECT child_id AS id, user_id, child_name AS name FROM e_weeks
                                     UNION
                                     SELECT migration.child_id(t.user_id, t.child_name), t.user_id, t.child_name
                                     FROM drift_trusted t WHERE t.week_id IS NOT NULL),
                        actual AS (SELECT id, user_id, name FROM children WHERE source_version IN ('migration', 'dual_write')
                                   AND ({every_user_or} user_id = %(user_id)s::UUID))
                   SELECT e.id AS expected_id, e.name AS expected_name, a.id AS actual_id, a.name AS actual_name
                   FROM expected e FULL JOIN actual a USING (id)
                   WHERE e.name IS DISTINCT FROM a.name
                     AND (a.id IS NULL OR NOT EXISTS (SELECT 1 FROM drift_recent r JOIN weeks w ON w.id = r.week_id
                                                      WHERE w.child_id = a.id))""",
    # Recorded by the sync trigger (revision 0012) when a legacy write could not be synced.
    "sync_failures": """SELECT f.legacy_id, f.operation, f.sqlstate, f.message, f.attempts,
                               to_char(f.last_failed_at, 'YYYY-MM-DD HH24:MI:SS') AS last_failed_at
                        FROM migration.sync_failures f
                        WHERE {every_user_or} f.legacy_id IN (SELECT legacy_id FROM drift_legacy
                                                              UNION
                                                              SELECT legacy_id FROM migration.sync_state
                                                              WHERE user_id = %(user_id)s::UUID)""",
}
COUNTS = {
    "legacy_rows": "SELECT count(*) FROM drift_legacy WHERE recent IS NOT TRUE",
    "remapped": "SELECT count(*) FROM drift_rows",
    "left_out_recent": "SELECT count(*) FROM drift_recent",
    "weeks_compared": "SELECT count(*) FROM e_fp",
    "weeks_differing": "SELECT count(*) FROM differing",
    "queued": "SELECT count(*) FROM drift_queued",
    "queued_since": "SELECT min(enqueued_at) FROM drift_queued",
    "queued_seconds": "SELECT extract(EPOCH FROM now() - min(enqueued_at)) FROM drift_queued",
}
SOURCE_VERSIONS = " UNION ALL ".join(
    f"SELECT '{table}', coalesce(source_version, '(null)'), count(*) FROM {table} GROUP BY 2" for table in TABLES
)
QUARANTINE = """SELECT q.reason, count(*) FROM migration.backfill_quarantine q
                WHERE EXISTS (SELECT 1 FROM habit_tracker h WHERE h.id = q.legacy_id) GROUP BY q.reason ORDER BY 1"""
# The sync state (revision 0011) is required; the queue (0013) and the failures (0012) are read where present.
SYNC_TABLES = """SELECT to_regclass('migration.sync_state') IS NOT NULL, to_regclass('migration.sync_queue') IS NOT NULL,
                        to_regclass('migration.sync_failures') IS NOT NULL"""


def _report_query(has_failures: bool, scope: dict) -> str:
    """One row: a JSON array per finding query (absent tables give none), then the counts."""
    present = {name: query.format(**scope) for name, query in FINDINGS.items()
               if has_failures or name != "sync_failures"}
    columns = [f"(SELECT coalesce(json_agg(f ORDER BY f), '[]') FROM ({query}) f) AS {name}"
               for name, query in present.items()]
    columns += [f"'[]'::JSON AS {name}" for name in FINDINGS if name not in present]
    columns += [f"({query}) AS {name}" for name, query in COUNTS.items()]
    return "SELECT " + ",\n       ".join(columns)


def _sync_tables(cur) -> tuple[bool, bool]:
    """Whether the database has the sync queue and the sync failures (the sync state is required)."""
    cur.execute(SYNC_TABLES)
    has_state, has_queue, has_failures = cur.fetchone()
    if not has_state:
        raise UsageError("the database has no mapping sync state: upgrade to 0011_sync_state or later")
    return has_queue, has_failures


def _relations(has_queue: bool, scope: dict, upto: tuple = SELECT_ROWS + ACTUAL + EXPECTED) -> list[Relation]:
    """The relations in order, drift_queued first (as this database holds it)."""
    return [Relation("drift_queued", QUEUED[has_queue])] + [
        Relation(r.name, r.query.format(**scope), r.analyze) for r in upto]


def _materialize(cur, relations: list[Relation], params: dict) -> None:
    for relation in relations:
        cur.execute(f"CREATE TEMP TABLE {relation.name} ON COMMIT DROP AS {relation.query}", params)
        if relation.analyze:
            cur.execute(f"ANALYZE {relation.name}")


def select_rows(cur, min_age: float, full: bool) -> None:
    """Create drift_out_of_step (the rows to re-sync) and drift_in_step (the rows unchanged since
    their sync) as temporary tables, for every user."""
    has_queue, _ = _sync_tables(cur)
    _materialize(cur, _relations(has_queue, SCOPE["every user"], upto=SELECT_ROWS),
                 {"min_age": min_age, "full": full, "user_id": None})


def one_user_check(has_queue: bool = True, has_failures: bool = True) -> str:
    """The check of one user, %(user_id)s, as one statement: the relations as its CTEs, then the
    report row. (%(min_age)s and %(full)s as for every user.) It must run with jit = off:
    estimated as dear as a check of every user, it was JIT-compiled for 7 s, for a statement
    that runs in 10 ms."""
    scope = SCOPE["one user"]
    ctes = ",\n".join(f"{relation.name} AS ({relation.query})" for relation in _relations(has_queue, scope))
    return f"WITH {ctes}\n{_report_query(has_failures, scope)}"


def _report_row(cur, min_age: float, full: bool, user_id: str | None) -> dict:
    """The report query's one row: temporary tables for every user, one statement for one."""
    params = {"min_age": min_age, "full": full, "user_id": user_id}
    has_queue, has_failures = _sync_tables(cur)
    if user_id is None:
        scope = SCOPE["every user"]
        _materialize(cur, _relations(has_queue, scope), params)
        cur.execute(_report_query(has_failures, scope), params)
    else:
        cur.execute("SET LOCAL jit = off")
        cur.execute(one_user_check(has_queue, has_failures), params)
    return report_row(cur)


def report_row(cur) -> dict:
    """The fetched report row, by column name."""
    return dict(zip([column.name for column in cur.description], cur.fetchone()))


def _rows(found: list[dict]) -> list[tuple]:
    return [tuple(row.values()) for row in found]


def findings(row: dict, one_user: bool) -> Report:
    """The report of a report row: its findings and what was checked."""
    report = Report()
    for legacy_id, week_id, child, start in _rows(row["missing_weeks"]):
        report.add("CRITICAL", "MISSING_WEEK", legacy_id, [week_id], f"{child} week of {start} is not in weeks")
    for week_id, start, quarantined_id, reason in _rows(row["extra_weeks"]):
        why = (f"its legacy row {quarantined_id} is quarantined ({reason})" if quarantined_id
               else "no legacy row maps to it")
        report.add("HIGH", "EXTRA_WEEK", quarantined_id, [week_id], f"week of {start}: {why}")
    for legacy_id, week_id, owner_differs, moved, expected_start, actual_start, fields in _rows(row["week_fields"]):
        if owner_differs:
            report.add("HIGH", "WEEK_OWNER_MISMATCH", legacy_id, [week_id], "child or user differs")
        if moved:
            report.add("HIGH", "WEEK_MOVED", legacy_id, [week_id], f"starts {actual_start}, legacy says {expected_start}")
        if fields:
            report.add("MEDIUM", "WEEK_DATA_MISMATCH", legacy_id, [week_id], f"differs in {', '.join(fields)}")
    for legacy_id, habit_id, e_name, a_name, e_order, a_order in _rows(row["habits"]):
        if a_name is None:
            report.add("HIGH", "MISSING_HABIT", legacy_id, [habit_id], f"habit {e_name!r} (position {e_order}) missing")
        elif e_name is None:
            report.add("MEDIUM", "EXTRA_HABIT", legacy_id, [habit_id], f"habit {a_name!r} has no legacy counterpart")
        elif e_name != a_name:
            report.add("MEDIUM", "HABIT_RENAMED", legacy_id, [habit_id], f"named {a_name!r}, legacy says {e_name!r}")
        else:
            report.add("LOW", "HABIT_REORDERED", legacy_id, [habit_id], f"{a_name!r} at {a_order}, legacy says {e_order}")
    for legacy_id, record_id, e_status, a_status, e_date, a_date in _rows(row["records"]):
        if a_status is None:
            report.add("HIGH", "MISSING_RECORD", legacy_id, [record_id], f"{e_status} on {e_date} missing")
        elif e_status is None:
            report.add("MEDIUM", "EXTRA_RECORD", legacy_id, [record_id], f"{a_status} on {a_date} has no legacy counterpart")
        elif e_status != a_status:
            report.add("MEDIUM", "STATUS_MISMATCH", legacy_id, [record_id], f"{a_status} on {a_date}, legacy says {e_status}")
        else:
            report.add("MEDIUM", "RECORD_DATE_MISMATCH", legacy_id, [record_id], f"dated {a_date}, legacy says {e_date}")
    for e_id, e_name, a_id, a_name in _rows(row["children"]):
        if a_id is None:
            report.add("CRITICAL", "MISSING_CHILD", None, [e_id], f"child {e_name!r} is not in children")
        elif e_id is None:
            report.add("LOW", "EXTRA_CHILD", None, [a_id], f"child {a_name!r} has no legacy week")
        else:
            report.add("HIGH", "CHILD_RENAMED", None, [a_id], f"named {a_name!r}, legacy says {e_name!r}")
    for legacy_id, operation, state, message, attempts, last in _rows(row["sync_failures"]):
        report.add("HIGH", "SYNC_FAILED", legacy_id, [],
                   f"{operation} not synced ({state}: {message}); {attempts} attempts, last {last}; make resync")
    queued, since = row["queued"], row["queued_since"]
    if queued and row["queued_seconds"] > SYNC_BACKLOG_LIMIT_SECONDS and not one_user:
        # The oldest write's time, not its age: the finding reads the same however often it is checked.
        report.add("HIGH", "SYNC_BACKLOG", None, [],
                   f"{queued} legacy rows wait in migration.sync_queue, the oldest since "
                   f"{since.isoformat(timespec='seconds')} (over {SYNC_BACKLOG_LIMIT_SECONDS // 60} min): "
                   "no drain is running (pg_cron job 'drain-sync-queue' or make sync-worker)")
    report.checked = {name: row[name] for name in
                      ("legacy_rows", "remapped", "left_out_recent", "queued", "weeks_compared", "weeks_differing")}
    return report


def detect(conn, min_age: float = 0.0, full: bool = False, user_id: str | None = None) -> Report:
    """Compare the whole legacy table with the new tables; read-only (temporary tables only).

    full=True re-maps every legacy row instead of trusting the recorded sync state. user_id
    limits the comparison to one user's rows (what the endpoint's verify_consistency runs,
    prepared), in one statement; the checks that are not one user's (EVERY_USER_ONLY, and the
    source_version and quarantine totals) are then left out."""
    # One snapshot for both sides; the run writes only temporary tables.
    conn.set_session(isolation_level="REPEATABLE READ")
    with conn.cursor() as cur:
        report = findings(_report_row(cur, min_age, full, user_id), one_user=user_id is not None)
        if user_id is not None:
            conn.rollback()
            return report
        sources: dict = defaultdict(dict)
        cur.execute(SOURCE_VERSIONS)
        for table, source, count in cur.fetchall():
            sources[table][source] = count
        report.source_versions = dict(sources)
        cur.execute(QUARANTINE)
        report.quarantine = dict(cur.fetchall())
    for fk in constraints(conn, kind="f"):
        found = violations(conn, fk)
        if found.count:
            report.add("CRITICAL", "ORPHAN", None, list(found.sample_ids),
                       f"{found.count} rows of {fk.table} break {fk.name}")
    conn.rollback()
    return report
