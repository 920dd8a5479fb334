"""The app's eight read patterns against the new schema, run as the app will run them.

After Phase 2 the React app reads through PostgREST: role `authenticated`, the user's JWT
claims in `request.jwt.claims` (auth.uid() reads `sub`), and row-level security on. The
queries below are what PostgREST sends for the app's reads; like PostgREST they do not
repeat the user filter where RLS applies it (a user's children, weeks in a range, record
counts, the name search), and filter by the id the app already holds elsewhere.

`as_app_user()` gives one transaction in that state and rolls it back: RLS is enabled inside
the transaction only (0004 leaves it off until Phase 2), so nothing persists. It takes ACCESS
EXCLUSIVE locks on the six tables for that transaction: for benchmark and audit databases,
never production.

`perf-baseline` times these queries and `index-audit` runs them as the workload whose index
use it reads; this module is their one definition.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from psycopg2 import sql

RLS_TABLES = ("children", "weeks", "habits", "habit_records", "habit_templates", "notifications")
APP_ROLE = "authenticated"
SEARCH_WORD = "독서"  # the most common habit name of the backup (SCHEMA_FACTS §3)


@dataclass(frozen=True)
class AppQuery:
    name: str
    description: str
    text: str  # parameters: %(child)s %(week)s %(habit)s %(date_from)s %(date_to)s %(word)s


QUERIES = (
    AppQuery("children", "a user's children",
             "SELECT c.id, c.name, c.created_at FROM children c ORDER BY c.name"),
    AppQuery("child_weeks", "a child's weeks",
             "SELECT w.id, w.week_start_date, w.week_end_date, w.theme FROM weeks w "
             "WHERE w.child_id = %(child)s ORDER BY w.week_start_date DESC"),
    AppQuery("week_habits", "a week's habits",
             "SELECT h.id, h.name, h.display_order FROM habits h WHERE h.week_id = %(week)s ORDER BY h.display_order"),
    AppQuery("habit_records", "a habit's records",
             "SELECT r.record_date, r.status FROM habit_records r WHERE r.habit_id = %(habit)s ORDER BY r.record_date"),
    AppQuery("full_week", "a full week (week + habits + records)",
             "SELECT w.id, w.week_start_date, w.theme, w.reflection, w.reward, h.id, h.name, h.display_order, "
             "r.record_date, r.status "
             "FROM weeks w LEFT JOIN habits h ON h.week_id = w.id LEFT JOIN habit_records r ON r.habit_id = h.id "
             "WHERE w.id = %(week)s ORDER BY h.display_order, r.record_date"),
    AppQuery("weeks_in_range", "weeks in a date range",
             "SELECT w.id, w.child_id, w.week_start_date FROM weeks w "
             "WHERE w.week_start_date BETWEEN %(date_from)s AND %(date_to)s ORDER BY w.week_start_date"),
    AppQuery("status_counts", "record counts by status",
             "SELECT r.status, count(*) FROM habit_records r GROUP BY r.status ORDER BY r.status"),
    AppQuery("name_search", "habits whose name contains a word",
             "SELECT h.id, h.week_id, h.name FROM habits h WHERE h.name LIKE '%%' || %(word)s || '%%' "
             "ORDER BY h.week_id, h.display_order"),
)


# The week read both ways, side by side (issue #20, point 7): the app's read today, the legacy
# row by child and label as PostgREST sends `habit_tracker?child_name=eq..&week_period=eq..`,
# and the RPC of 0031 that replaces it.
WEEK_READS = (
    AppQuery("week_as_legacy", "the week through public.week_as_legacy() (0031)",
             "SELECT public.week_as_legacy(%(child_name)s, %(monday)s)"),
    AppQuery("legacy_row", "the legacy row (habit_tracker by child and week_period)",
             "SELECT * FROM habit_tracker WHERE child_name = %(child_name)s AND week_period = %(week_period)s"),
)


def legacy_week(cur, user_id: str) -> dict:
    """The user's newest Monday-start legacy row: the same week for both WEEK_READS."""
    cur.execute("""SELECT child_name, week_start_date, week_period FROM habit_tracker
                   WHERE user_id = %s AND extract(ISODOW FROM week_start_date) = 1
                   ORDER BY week_start_date DESC, id LIMIT 1""", (user_id,))
    child_name, monday, label = cur.fetchone()
    return {"child_name": child_name, "monday": monday, "week_period": label}


def typical_user(cur) -> str:
    """The user whose week count is the median: the app's ordinary parent, at any scale."""
    cur.execute("""SELECT user_id::TEXT FROM (
                       SELECT user_id, count(*) AS weeks, row_number() OVER (ORDER BY count(*), user_id) AS n,
                              count(*) OVER () AS users
                       FROM weeks GROUP BY user_id) AS u
                   WHERE n = (users + 1) / 2""")
    row = cur.fetchone()
    return row[0] if row else None


def parameters(cur, user_id: str) -> dict:
    """The ids the app holds when it sends each query: the user's most recent week, its child,
    its first habit with records; the user's last eight weeks as the date range."""
    cur.execute("""SELECT w.id::TEXT, w.child_id::TEXT, w.week_start_date,
                          (SELECT h.id::TEXT FROM habits h WHERE h.week_id = w.id
                             AND EXISTS (SELECT 1 FROM habit_records r WHERE r.habit_id = h.id)
                           ORDER BY h.display_order LIMIT 1)
                   FROM weeks w WHERE w.user_id = %s ORDER BY w.week_start_date DESC, w.id LIMIT 1""", (user_id,))
    week, child, start, habit = cur.fetchone()
    return {"week": week, "child": child, "habit": habit, "date_from": start - timedelta(weeks=8),
            "date_to": start, "word": SEARCH_WORD}


@contextmanager
def as_app_user(conn, user_id: str):
    """A cursor in one transaction acting as the app does for `user_id`; rolled back after.
    The tables are read as they will be in Phase 2: RLS on, and SELECT granted to the app's role
    (since 0019 it holds nothing on a table whose RLS is off); both undone by the rollback."""
    conn.rollback()
    try:
        with conn.cursor() as cur:
            for table in RLS_TABLES:
                cur.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(sql.Identifier(table)))
                cur.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(table), sql.Identifier(APP_ROLE)))
            cur.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(APP_ROLE)))
            cur.execute("SELECT set_config('request.jwt.claims', %s, true)",
                        (json.dumps({"sub": user_id, "role": APP_ROLE}),))
            yield cur
    finally:
        conn.rollback()
