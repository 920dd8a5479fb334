"""The drift check: prove habit_tracker and the new tables agree, child-week by child-week.

Shared by `make drift` (scripts/commands/drift.py), the endpoint's verify_consistency
(scripts/dual_write/consistency.py), resync and the report.

The unit is the child-week (user_id, child_name, Monday), as in the mapping of revision 0023:
every filled day goes to the Monday week of its own date, and the legacy rows with a day in
one child-week merge there. The expected side is that mapping, migration.placement() (the one
the backfill, the drain and the endpoint write with), evaluated for the child-weeks that may
have changed since they were placed:
- stale ones: the child-weeks (now and at its last sync, migration.sync_state) of every legacy
  row whose hash differs from the one recorded at its sync, that was never synced, or whose
  row is gone. Each is re-mapped whole, from every legacy row with a day in it;
- the others are taken as placed (migration.placed_weeks: the week id and the fingerprint of
  what was written), unless the week in the tables no longer has that fingerprint or is gone,
  or (from 0026) its rows of migration.placement_conflicts no longer have the hash recorded
  with it, or the tables hold a week the mapping wrote that was never placed: those are
  re-mapped too, for the detail.
`--full` re-maps every child-week. Child-weeks a row in flight touches (changed in the last
--min-age seconds, or queued for the drain with the other rows of its child) are left out on
both sides.

The actual side is the new tables' rows written by the mapping (source_version 'migration'
or 'dual_write'). A fingerprint per week (over the week, its habits and records) is compared
first; only the weeks whose fingerprints differ are compared column by column, habit by
habit and record by record. A finding names the legacy row a line came from (a week's: the
row its fields came from). The values a merge did not keep are recorded in
migration.placement_conflicts: known, counted, not drift; but a conflict of a re-mapped
child-week that is not recorded, or recorded and no longer the mapping's, is a finding.
Children, every foreign key's orphans, the source_version distribution and the quarantine
(known exceptions, not drift) are reported too.

"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from scripts.db.constraint_violations import constraints, violations
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
    conflicts: dict = field(default_factory=dict)

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
# --min-age: they, the other rows of their children and every child-week they touch are left
# out of the comparison.
QUEUED = {
    True: "SELECT legacy_id, min(enqueued_at) AS enqueued_at FROM migration.sync_queue GROUP BY legacy_id",
    False: "SELECT NULL::BIGINT AS legacy_id, NULL::TIMESTAMPTZ AS enqueued_at WHERE FALSE",
}
SYNC_BACKLOG_LIMIT_SECONDS = 300

# The child-weeks a row's days can fall in: the Monday weeks of its first and last day, as
# migration.legacy_weeks() (0023) gives them, set-based over {rows} (user_id, child_name,
# start_date) instead of one call per row.
CANDIDATE_WEEKS = """
       SELECT DISTINCT x.user_id, x.child_name, k.monday, migration.child_id(x.user_id, x.child_name) AS child_id
       FROM ({rows}) x
       CROSS JOIN LATERAL (VALUES (migration.monday_of(x.start_date)), (migration.monday_of(x.start_date + 6))) k (monday)
       WHERE x.user_id IS NOT NULL AND x.child_name IS NOT NULL AND x.start_date IS NOT NULL"""

# Which child-weeks the mapping must be evaluated for. A legacy row whose hash equals the one
# recorded at its last sync (migration.sync_state) is as it was placed; every other row
# (changed, new, or gone) makes its child-weeks, now and at its last sync, stale: they are
# re-mapped whole. `make resync` re-syncs drift_out_of_step (a sync places the rows'
# child-weeks whole, as here).
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
              migration.week_start(h) AS start_date,
              h.updated_at > now() - make_interval(secs => %(min_age)s)
                  OR h.id IN (SELECT legacy_id FROM drift_in_flight) AS recent
       FROM habit_tracker h
       WHERE {every_user_or} h.user_id = %(user_id)s::UUID""", analyze=True),
    # The child-weeks left out: every one a row in flight has a day in, now or at its last sync.
    Relation("drift_recent", CANDIDATE_WEEKS.format(rows="""
       SELECT user_id, child_name, start_date FROM drift_legacy WHERE recent
       UNION ALL
       SELECT s.user_id, s.child_name, s.start_date FROM migration.sync_state s
       WHERE s.legacy_id IN (SELECT legacy_id FROM drift_legacy WHERE recent UNION SELECT legacy_id FROM drift_in_flight)""")),
    # Rows changed since their last sync (or never synced), and recorded rows whose legacy row is gone.
    Relation("drift_stale", """
       SELECT l.legacy_id FROM drift_legacy l LEFT JOIN migration.sync_state s USING (legacy_id)
       WHERE l.recent IS NOT TRUE AND s.row_hash IS DISTINCT FROM l.row_hash
       UNION ALL
       SELECT s.legacy_id FROM migration.sync_state s
       WHERE NOT EXISTS (SELECT 1 FROM drift_legacy l WHERE l.legacy_id = s.legacy_id)
         AND s.legacy_id NOT IN (SELECT legacy_id FROM drift_in_flight)
         AND ({every_user_or} s.user_id = %(user_id)s::UUID)"""),
    Relation("drift_out_of_step", "SELECT legacy_id FROM drift_stale"),
    # Their child-weeks, as the rows are now and as they were synced.
    Relation("drift_stale_weeks", CANDIDATE_WEEKS.format(rows="""
       SELECT l.user_id, l.child_name, l.start_date FROM drift_legacy l JOIN drift_stale USING (legacy_id)
       UNION ALL
       SELECT s.user_id, s.child_name, s.start_date FROM migration.sync_state s
       WHERE s.legacy_id = ANY(ARRAY(SELECT legacy_id FROM drift_stale))""")),
)

# Fingerprints, set-based: one per week over what the week, its habits and records hold, with
# the line and fingerprint functions of revision 0011 (place_child_weeks() records the same
# in migration.placed_weeks).
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
# The actual side: the new tables' rows the mapping wrote, but for the child-weeks left out.
A_CONTENT = (
    Relation("a_habits", "SELECT h.* FROM habits h WHERE {habits_of_a_weeks}", analyze=True),
    Relation("a_records", "SELECT r.* FROM habit_records r WHERE {records_of_a_habits}"),
    Relation("a_fp", FINGERPRINT.format(weeks="a_weeks", habits="a_habits", records="a_records")),
)
ACTUAL = (
    Relation("a_weeks", """
       SELECT * FROM weeks w WHERE source_version IN ('migration', 'dual_write')
         AND NOT EXISTS (SELECT 1 FROM drift_recent r WHERE r.child_id = w.child_id AND r.monday = w.week_start_date)
         AND ({every_user_or} user_id = %(user_id)s::UUID)""", analyze=True),
) + A_CONTENT
# What differs between checking every user and one user (the endpoint's verify_consistency).
# - every_user_or: every user's rows are read; one user's, by that user's indexes. A filter
#   `%(user_id)s IS NULL OR ...` would do both, but a generic plan (the endpoint prepares the
#   check) cannot fold it away and scans whole tables.
# - The habits and records of the compared weeks, and the sync state of the user's rows. For
#   every user, a semi-join over the whole tables. For one user, an index probe with the few
#   ids: planned as a join, the probe lost to a scan of all of habit_records (11.8 ms against
#   1.0 ms at 2,000 legacy weeks); as `= ANY` over every id of a large table it would lose.
#   (A row of the placed weeks that is not the user's any more is out of step either way.)
SCOPE = {
    "every user": {"every_user_or": "TRUE OR",
                   "habits_of_a_weeks": "h.week_id IN (SELECT id FROM a_weeks)",
                   "records_of_a_habits": "r.habit_id IN (SELECT id FROM a_habits)",
                   "synced_rows": "migration.sync_state"},
    "one user": {"every_user_or": "",
                 "habits_of_a_weeks": "h.week_id = ANY(ARRAY(SELECT id FROM a_weeks))",
                 "records_of_a_habits": "r.habit_id = ANY(ARRAY(SELECT id FROM a_habits))",
                 "synced_rows": """(SELECT * FROM migration.sync_state
                                    WHERE legacy_id = ANY(ARRAY(SELECT legacy_id FROM drift_legacy)))"""},
}

# From 0026 a child-week is as placed only if its conflicts are too: the md5 of its rows of
# migration.placement_conflicts, as place_child_weeks() takes it over the lines it recorded,
# equals placed_weeks.conflicts (NULL: none recorded; NULL and NULL are equal), and each row
# names the placed week. So a child-week whose conflicts were recorded before 0026 (hash NULL)
# is re-mapped until its next sync (`make backfill`): slower, never wrong. Below 0026, nothing.
CONFLICT_LINE = "migration.conflict_line(c.legacy_id, c.field, c.habit_name, c.record_date, c.lost_value, c.kept_value, c.kept_legacy_id)"
CONFLICTS_HASH = {
    True: {"conflicts_of_placed": f"""
              LEFT JOIN LATERAL (
                  SELECT md5(string_agg(DISTINCT {CONFLICT_LINE}, ';' ORDER BY {CONFLICT_LINE}))::UUID AS conflicts,
                         coalesce(bool_and(c.week_id = x.week_id), TRUE) AS same_week
                  FROM migration.placement_conflicts c
                  WHERE c.user_id = x.user_id AND c.child_name = x.child_name AND c.monday = x.monday) rc ON TRUE""",
           "conflicts_as_placed": "AND rc.conflicts IS NOT DISTINCT FROM x.conflicts AND rc.same_week"},
    False: {"conflicts_of_placed": "", "conflicts_as_placed": ""},
}

# Every expected week, re-mapped ones from the mapping, the others as placed (drift_trusted);
# those whose fingerprint differs from the tables'.
COMPARED = (
    Relation("e_fp", FINGERPRINT.format(weeks="e_weeks", habits="e_habits", records="e_records")
             + " UNION ALL SELECT week_id, fingerprint FROM drift_trusted"),
    Relation("differing",
             "SELECT DISTINCT e.week_id FROM e_fp e JOIN a_fp a USING (week_id) WHERE e.fingerprint <> a.fingerprint",
             analyze=True),  # its row count, which the planner otherwise guesses at 1,850
)

# A child-week in drift_recent, by the key columns of the relation aliased x.
NOT_LEFT_OUT = """NOT EXISTS (SELECT 1 FROM drift_recent r
                              WHERE r.user_id = x.user_id AND r.child_name = x.child_name AND r.monday = x.monday)"""

# The expected side: the mapping (migration.placement(), revision 0023) for the child-weeks
# not taken on trust; the others as placed (migration.placed_weeks).
EXPECTED = (
    # Every child-week placed, with whether the tables still hold its week as placed.
    Relation("drift_placed", f"""
       SELECT x.user_id, x.child_name, x.monday, x.week_id, x.legacy_ids, x.fingerprint,
              a.fingerprint IS NOT DISTINCT FROM x.fingerprint {{conflicts_as_placed}} AS as_placed
       FROM migration.placed_weeks x LEFT JOIN a_fp a USING (week_id) {{conflicts_of_placed}}
       WHERE ({{every_user_or}} x.user_id = %(user_id)s::UUID) AND {NOT_LEFT_OUT}""", analyze=True),
    # Placed child-weeks the sync state contradicts (a sync that raced another left them
    # behind): one listing a row whose synced user, child or start puts no day in it, and a
    # synced row's home week (the one holding its fourth day) that does not list it.
    Relation("drift_misplaced", """
       SELECT x.user_id, x.child_name, x.monday
       FROM drift_placed x CROSS JOIN LATERAL unnest(x.legacy_ids) i (legacy_id)
       LEFT JOIN {synced_rows} s USING (legacy_id)
       WHERE s.legacy_id IS NULL OR s.user_id IS DISTINCT FROM x.user_id OR s.child_name IS DISTINCT FROM x.child_name
          OR x.monday NOT IN (migration.monday_of(s.start_date), migration.monday_of(s.start_date + 6))
       UNION
       SELECT s.user_id, s.child_name, migration.monday_of(s.start_date + 3)
       FROM drift_legacy l JOIN {synced_rows} s USING (legacy_id)
       WHERE l.recent IS NOT TRUE AND s.row_hash = l.row_hash
         AND s.user_id IS NOT NULL AND s.child_name IS NOT NULL AND s.start_date IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM migration.backfill_quarantine q WHERE q.legacy_id = s.legacy_id)
         AND NOT EXISTS (SELECT 1 FROM drift_placed p
                         WHERE p.user_id = s.user_id AND p.child_name = s.child_name
                           AND p.monday = migration.monday_of(s.start_date + 3) AND s.legacy_id = ANY(p.legacy_ids))"""),
    # Re-mapped: the stale child-weeks; those whose week differs from what was placed or is
    # gone, or whose placement the sync state contradicts; and those holding a week the
    # mapping wrote that was never placed (for the detail).
    Relation("drift_remap", f"""
       SELECT x.user_id, x.child_name, x.monday FROM (
           SELECT user_id, child_name, monday FROM drift_stale_weeks
           UNION
           SELECT user_id, child_name, monday FROM drift_placed WHERE NOT as_placed
           UNION
           SELECT user_id, child_name, monday FROM drift_misplaced
           UNION
           SELECT a.user_id, c.name, a.week_start_date FROM a_weeks a JOIN children c ON c.id = a.child_id
           WHERE NOT EXISTS (SELECT 1 FROM drift_placed p WHERE p.week_id = a.id)) x
       WHERE {NOT_LEFT_OUT}""", analyze=True),
    Relation("drift_trusted", """
       SELECT * FROM drift_placed p WHERE p.as_placed AND NOT %(full)s
         AND NOT EXISTS (SELECT 1 FROM drift_remap x
                         WHERE x.user_id = p.user_id AND x.child_name = p.child_name AND x.monday = p.monday)"""),
    # The rows placement() needs: every row with a day in a re-mapped child-week (the rule of
    # migration.week_members()); with --full, every row.
    Relation("drift_members", """
       SELECT l.legacy_id FROM drift_legacy l WHERE %(full)s AND l.recent IS NOT TRUE
       UNION
       SELECT l.legacy_id FROM drift_remap x
       JOIN drift_legacy l ON l.user_id = x.user_id AND l.child_name = x.child_name
                          AND l.start_date BETWEEN x.monday - 6 AND x.monday + 6
       WHERE NOT %(full)s""", analyze=True),
    Relation("e_lines", f"""
       SELECT x.* FROM migration.placement(ARRAY(SELECT legacy_id FROM drift_members)) x
       WHERE (%(full)s OR EXISTS (SELECT 1 FROM drift_remap k
                                   WHERE k.user_id = x.user_id AND k.child_name = x.child_name AND k.monday = x.monday))
         AND {NOT_LEFT_OUT}""", analyze=True),
    Relation("e_weeks", """
       SELECT legacy_id, week_id AS id, user_id, child_id, child_name, monday AS week_start_date,
              monday + 6 AS week_end_date, theme, reflection, reward
       FROM e_lines WHERE kind = 'week'"""),
    Relation("e_habits", """
       SELECT legacy_id, habit_id AS id, week_id, name, display_order FROM e_lines WHERE kind = 'habit'"""),
    Relation("e_records", """
       SELECT legacy_id, record_id AS id, habit_id, record_date, status FROM e_lines WHERE kind = 'record'"""),
    *COMPARED,
    # The conflicts recorded for the re-mapped child-weeks (every one with --full), to compare
    # with the mapping's.
    Relation("r_conflicts", f"""
       SELECT x.* FROM migration.placement_conflicts x
       WHERE ({{every_user_or}} x.user_id = %(user_id)s::UUID)
         AND (%(full)s OR EXISTS (SELECT 1 FROM drift_remap k
                                   WHERE k.user_id = x.user_id AND k.child_name = x.child_name AND k.monday = x.monday))
         AND {NOT_LEFT_OUT}"""),
)

# --- a database below 0023 (not yet upgraded, or rolled back): the mapping of 0010 ------------
# One legacy row to one week (or quarantined), recorded per row in migration.sync_state with its
# week's id and fingerprint: the same report from these relations, as the check had them
# until 0023. A row unchanged since its sync is taken on trust unless its week's fingerprint
# differs; the others are re-mapped with the rows of their child-week (duplicate_week looks
# across them).
SELECT_ROWS_0010 = (
    SELECT_ROWS[0],
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
    Relation("drift_stale", """
       SELECT l.legacy_id FROM drift_legacy l LEFT JOIN migration.sync_state s USING (legacy_id)
       WHERE l.recent IS NOT TRUE AND (%(full)s OR s.row_hash IS DISTINCT FROM l.row_hash)
       UNION ALL
       SELECT s.legacy_id FROM migration.sync_state s
       WHERE NOT EXISTS (SELECT 1 FROM drift_legacy l WHERE l.legacy_id = s.legacy_id)
         AND s.legacy_id NOT IN (SELECT legacy_id FROM drift_in_flight)
         AND ({every_user_or} s.user_id = %(user_id)s::UUID)"""),
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
    Relation("drift_in_step", """
       SELECT s.* FROM migration.sync_state s JOIN drift_legacy l USING (legacy_id)
       WHERE l.recent IS NOT TRUE AND NOT %(full)s AND s.row_hash = l.row_hash
         AND s.legacy_id NOT IN (SELECT legacy_id FROM drift_out_of_step)"""),
)
ACTUAL_0010 = (Relation("a_weeks", """
       SELECT * FROM weeks WHERE source_version IN ('migration', 'dual_write')
         AND id NOT IN (SELECT week_id FROM drift_recent)
         AND ({every_user_or} user_id = %(user_id)s::UUID)""", analyze=True),) + A_CONTENT
EXPECTED_0010 = (
    Relation("drift_remap", """
       SELECT legacy_id FROM drift_out_of_step
       UNION
       SELECT t.legacy_id FROM drift_in_step t LEFT JOIN a_fp a USING (week_id)
       WHERE t.week_id IS NOT NULL AND a.fingerprint IS DISTINCT FROM t.fingerprint""", analyze=True),
    Relation("drift_trusted", """
       SELECT * FROM drift_in_step WHERE week_id IS NOT NULL AND legacy_id NOT IN (SELECT legacy_id FROM drift_remap)"""),
    Relation("drift_members", """
       SELECT c.* FROM migration.classified_legacy_rows c
       WHERE c.legacy_id IN (SELECT legacy_id FROM drift_remap)
         AND c.legacy_id NOT IN (SELECT legacy_id FROM drift_recent)"""),
    Relation("e_weeks", """
       SELECT w.* FROM drift_members c CROSS JOIN LATERAL migration.map_week(c.legacy, c.monday) w
       WHERE c.reason IS NULL"""),
    Relation("e_habits", """
       SELECT m.* FROM drift_members c CROSS JOIN LATERAL migration.map_habits(c.legacy_id, (c.legacy).habits) m
       WHERE c.reason IS NULL"""),
    Relation("e_records", """
       SELECT m.* FROM drift_members c
       CROSS JOIN LATERAL migration.map_records(c.legacy_id, c.monday, (c.legacy).habits) m WHERE c.reason IS NULL"""),
    *COMPARED,
)
# The relations of each mapping (by whether the database has 0023's placement), and what the
# report's queries read differently from them: the children of the weeks left out.
MAPPINGS = {
    True: {"select_rows": SELECT_ROWS, "actual": ACTUAL, "expected": EXPECTED,
           "left_out_children": "SELECT child_id FROM drift_recent"},
    False: {"select_rows": SELECT_ROWS_0010, "actual": ACTUAL_0010, "expected": EXPECTED_0010,
            "left_out_children": "SELECT w.child_id FROM drift_recent r JOIN weeks w ON w.id = r.week_id"},
}
# What only 0023 has: the recorded conflicts.
PLACEMENT_ONLY = ("conflict_lines", "conflicts")

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
    # The records of the differing weeks, joined week -> habit -> record: written as
    # `h.week_id IN (SELECT ... differing)`, the planner unique-ified differing and joined it to
    # every expected record with no join clause (102 weeks x 794,786 records, sorted on disk:
    # 76 s of a 100 s `drift --full` at 45,000 legacy rows with 118 findings).
    "records": """SELECT coalesce(e.legacy_id, w.legacy_id) AS legacy_id, coalesce(e.id, a.id) AS record_id,
                         e.status AS expected_status, a.status AS actual_status,
                         e.record_date AS expected_date, a.record_date AS actual_date
                  FROM (SELECT r.* FROM differing d
                        JOIN e_habits h ON h.week_id = d.week_id JOIN e_records r ON r.habit_id = h.id) e
                  FULL JOIN (SELECT r.*, h.week_id FROM differing d
                             JOIN a_habits h ON h.week_id = d.week_id JOIN a_records r ON r.habit_id = h.id) a USING (id)
                  LEFT JOIN e_weeks w ON w.id = a.week_id
                  WHERE (e.status, e.record_date) IS DISTINCT FROM (a.status, a.record_date)""",
    "children": """WITH expected AS (SELECT child_id AS id, user_id, child_name AS name FROM e_weeks
                                     UNION
                                     SELECT migration.child_id(t.user_id, t.child_name), t.user_id, t.child_name
                                     FROM drift_trusted t),
                        actual AS (SELECT id, user_id, name FROM children WHERE source_version IN ('migration', 'dual_write')
                                   AND ({every_user_or} user_id = %(user_id)s::UUID))
                   SELECT e.id AS expected_id, e.name AS expected_name, a.id AS actual_id, a.name AS actual_name
                   FROM expected e FULL JOIN actual a USING (id)
                   WHERE e.name IS DISTINCT FROM a.name
                     AND (a.id IS NULL OR a.id NOT IN ({left_out_children}))""",
    # The mapping's conflicts (the values a merge did not keep; one line per value lost) against
    # the recorded ones, by their identity in migration.placement_conflicts (uq_placement_conflicts_item).
    "conflict_lines": """SELECT coalesce(e.legacy_id, r.legacy_id) AS legacy_id, coalesce(e.week_id, r.week_id) AS week_id,
                                coalesce(e.field, r.field) AS field, coalesce(e.name, r.habit_name) AS habit_name,
                                coalesce(e.record_date, r.record_date) AS record_date,
                                e.lost_value AS expected_lost, e.kept_value AS expected_kept,
                                e.kept_legacy_id AS expected_kept_from, r.lost_value AS recorded_lost,
                                r.kept_value AS recorded_kept, r.kept_legacy_id AS recorded_kept_from
                         FROM (SELECT DISTINCT user_id, child_name, monday, week_id, legacy_id, field, name, record_date,
                                               lost_value, kept_value, kept_legacy_id
                               FROM e_lines WHERE kind = 'conflict') e
                         FULL JOIN r_conflicts r
                             ON r.user_id = e.user_id AND r.child_name = e.child_name AND r.monday = e.monday
                             AND r.legacy_id = e.legacy_id AND r.field = e.field AND r.lost_value = e.lost_value
                             AND coalesce(r.habit_name, '') = coalesce(e.name, '')
                             AND coalesce(r.record_date, 'infinity') = coalesce(e.record_date, 'infinity')
                         WHERE (e.week_id, e.kept_value, e.kept_legacy_id)
                             IS DISTINCT FROM (r.week_id, r.kept_value, r.kept_legacy_id)""",
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
    "remapped": "SELECT count(*) FROM drift_members",
    "left_out_recent": """SELECT count(*) FROM (SELECT legacy_id FROM drift_legacy WHERE recent
                                                UNION SELECT legacy_id FROM drift_in_flight) r""",
    "weeks_remapped": "SELECT count(*) FROM e_weeks",
    "weeks_compared": "SELECT count(*) FROM e_fp",
    "weeks_differing": "SELECT count(*) FROM differing",
    # Known, not drift: the values merges did not keep (findings say when one is missing or stale).
    "conflicts": "SELECT count(*) FROM migration.placement_conflicts WHERE {every_user_or} user_id = %(user_id)s::UUID",
    "queued": "SELECT count(*) FROM drift_queued",
    "queued_since": "SELECT min(enqueued_at) FROM drift_queued",
    "queued_seconds": "SELECT extract(EPOCH FROM now() - min(enqueued_at)) FROM drift_queued",
}
SOURCE_VERSIONS = " UNION ALL ".join(
    f"SELECT '{table}', coalesce(source_version, '(null)'), count(*) FROM {table} GROUP BY 2" for table in TABLES
)
QUARANTINE = """SELECT q.reason, count(*) FROM migration.backfill_quarantine q
                WHERE EXISTS (SELECT 1 FROM habit_tracker h WHERE h.id = q.legacy_id) GROUP BY q.reason ORDER BY 1"""
CONFLICTS = "SELECT field, count(*) FROM migration.placement_conflicts GROUP BY field ORDER BY 1"
# The sync state (revision 0011) is required; the queue (0013), the failures (0012) and the
# placement by date (0023) are read where present.
SYNC_TABLES = """SELECT to_regclass('migration.sync_state') IS NOT NULL, to_regclass('migration.sync_queue') IS NOT NULL,
                        to_regclass('migration.sync_failures') IS NOT NULL,
                        to_regclass('migration.placed_weeks') IS NOT NULL,
                        EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('migration.placed_weeks')
                                AND attname = 'conflicts' AND NOT attisdropped)"""


@dataclass(frozen=True)
class Schema:
    """What the database holds of what the check reads (the sync state, 0011, is required)."""
    has_queue: bool = True  # migration.sync_queue (0013)
    has_failures: bool = True  # migration.sync_failures (0012)
    has_placement: bool = True  # migration.placement() and its state (0023); else 0010's mapping
    has_conflicts_hash: bool = True  # migration.placed_weeks.conflicts (0026); else conflicts not checked incrementally


def _report_query(schema: Schema, scope: dict) -> str:
    """One row: a JSON array per finding query (absent tables give none), then the counts."""
    absent = (() if schema.has_failures else ("sync_failures",)) + (() if schema.has_placement else PLACEMENT_ONLY)
    present = {name: query.format(**scope) for name, query in FINDINGS.items() if name not in absent}
    columns = [f"(SELECT coalesce(json_agg(f ORDER BY f), '[]') FROM ({query}) f) AS {name}"
               for name, query in present.items()]
    columns += [f"'[]'::JSON AS {name}" for name in FINDINGS if name not in present]
    columns += [f"({query.format(**scope) if name not in absent else 0}) AS {name}" for name, query in COUNTS.items()]
    return "SELECT " + ",\n       ".join(columns)


def _schema(cur) -> Schema:
    cur.execute(SYNC_TABLES)
    has_state, has_queue, has_failures, has_placement, has_conflicts_hash = cur.fetchone()
    if not has_state:
        raise UsageError("the database has no mapping sync state: upgrade to 0011_sync_state or later")
    return Schema(has_queue, has_failures, has_placement, has_conflicts_hash)


def _scope(schema: Schema, who: str) -> dict:
    return {**SCOPE[who], **CONFLICTS_HASH[schema.has_conflicts_hash],
            "left_out_children": MAPPINGS[schema.has_placement]["left_out_children"]}


def _relations(schema: Schema, scope: dict, parts: tuple = ("select_rows", "actual", "expected")) -> list[Relation]:
    """The relations in order, drift_queued first (as this database holds it), of its mapping."""
    mapping = MAPPINGS[schema.has_placement]
    return [Relation("drift_queued", QUEUED[schema.has_queue])] + [
        Relation(r.name, r.query.format(**scope), r.analyze) for part in parts for r in mapping[part]]


def _materialize(cur, relations: list[Relation], params: dict) -> None:
    for relation in relations:
        cur.execute(f"CREATE TEMP TABLE {relation.name} ON COMMIT DROP AS {relation.query}", params)
        if relation.analyze:
            cur.execute(f"ANALYZE {relation.name}")


def select_rows(cur, min_age: float, full: bool) -> None:
    """Create drift_out_of_step (the rows to re-sync: changed, new or gone since their sync) as a
    temporary table, with the relations before it, for every user."""
    schema = _schema(cur)
    _materialize(cur, _relations(schema, _scope(schema, "every user"), parts=("select_rows",)),
                 {"min_age": min_age, "full": full, "user_id": None})


def one_user_check(schema: Schema = Schema()) -> str:
    """The check of one user, %(user_id)s, as one statement: the relations as its CTEs, then the
    report row. (%(min_age)s and %(full)s as for every user.) It must run with jit = off:
    estimated as dear as a check of every user, it was JIT-compiled for 7 s, for a statement
    that runs in 10 ms."""
    scope = _scope(schema, "one user")
    ctes = ",\n".join(f"{relation.name} AS ({relation.query})" for relation in _relations(schema, scope))
    return f"WITH {ctes}\n{_report_query(schema, scope)}"


def _report_row(cur, min_age: float, full: bool, user_id: str | None) -> tuple[dict, Schema]:
    """The report query's one row: temporary tables for every user, one statement for one."""
    params = {"min_age": min_age, "full": full, "user_id": user_id}
    schema = _schema(cur)
    # JIT off for every user too: the statements over migration.placement() are estimated dear,
    # and compiling them made --full take 4.6 s instead of 2.5 s at 2,000 legacy rows.
    cur.execute("SET LOCAL jit = off")
    if user_id is None:
        scope = _scope(schema, "every user")
        _materialize(cur, _relations(schema, scope), params)
        cur.execute(_report_query(schema, scope), params)
    else:
        cur.execute(one_user_check(schema), params)
    return report_row(cur), schema


def report_row(cur) -> dict:
    """The fetched report row, by column name."""
    return dict(zip([column.name for column in cur.description], cur.fetchone()))


def _rows(found: list[dict]) -> list[tuple]:
    return [tuple(row.values()) for row in found]


def _value(value) -> str:
    """A conflict's JSON value as it reads in a finding."""
    return json.dumps(value, ensure_ascii=False)


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
    for (legacy_id, week_id, name, habit, day, e_lost, e_kept, e_from, r_lost, r_kept,
         r_from) in _rows(row["conflict_lines"]):
        what = f"{name} of {habit!r} on {day}" if name == "status" else name
        expected = f"{_value(e_lost)} lost to {_value(e_kept)} of legacy {e_from}"
        if r_from is None:
            report.add("HIGH", "CONFLICT_NOT_RECORDED", legacy_id, [week_id],
                       f"{what}: {expected}, not in migration.placement_conflicts")
        elif e_from is None:
            report.add("MEDIUM", "CONFLICT_STALE", legacy_id, [week_id],
                       f"{what}: recorded {_value(r_lost)} lost to {_value(r_kept)} of legacy {r_from}, "
                       "the mapping has no such conflict")
        else:
            report.add("MEDIUM", "CONFLICT_STALE", legacy_id, [week_id],
                       f"{what}: recorded {_value(r_lost)} lost to {_value(r_kept)} of legacy {r_from}, "
                       f"the mapping says {expected}")
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
                      ("legacy_rows", "remapped", "left_out_recent", "queued", "weeks_remapped", "weeks_compared",
                       "weeks_differing", "conflicts")}
    return report


def detect(conn, min_age: float = 0.0, full: bool = False, user_id: str | None = None) -> Report:
    """Compare the whole legacy table with the new tables; read-only (temporary tables only).

    full=True re-maps every child-week instead of trusting the recorded placement. user_id
    limits the comparison to one user's rows (what the endpoint's verify_consistency runs,
    prepared), in one statement; the checks that are not one user's (EVERY_USER_ONLY, and the
    source_version, quarantine and conflict totals) are then left out."""
    # One snapshot for both sides; the run writes only temporary tables.
    conn.set_session(isolation_level="REPEATABLE READ")
    with conn.cursor() as cur:
        row, schema = _report_row(cur, min_age, full, user_id)
        report = findings(row, one_user=user_id is not None)
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
        if schema.has_placement:
            cur.execute(CONFLICTS)
            report.conflicts = dict(cur.fetchall())
    for fk in constraints(conn, kind="f"):
        found = violations(conn, fk)
        if found.count:
            report.add("CRITICAL", "ORPHAN", None, list(found.sample_ids),
                       f"{found.count} rows of {fk.table} break {fk.name}")
    conn.rollback()
    return report
