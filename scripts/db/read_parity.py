"""Read parity: every legacy row against what public.week_as_legacy() answers its user (0031).

Per user, one REPEATABLE READ READ ONLY transaction: as the connecting role (postgres) it reads
the user's legacy rows, their quarantine and discard state and the conflicts recorded for
them; then, SET LOCAL ROLE authenticated with the user's JWT claims (RLS applies, as through
PostgREST), it calls week_as_legacy() once per child-week the rows need, in one statement, and
compares (scripts/db/legacy_rows.py reads the rows without the mapping):

- every filled day: the answer's habit of that name has the status on that date; else a
  recorded conflict (migration.placement_conflicts: this row, habit, date and value) accounts
  for it; else a difference;
- a Monday-start row: child_name, week_period (from the Monday), week_start_date exactly, its
  habit names all present, and theme, reflection, reward exactly; a field that differs is
  accounted when a conflict records this row's value, or when this row's is empty and another
  Monday-start row of the week holds the answer's ("other row"); else a difference;
- every status the answer shows in the weeks read comes from some legacy row of the user; one
  from no row is a difference (a day several rows fill, merged by #11's rule, counts as
  "other row").

Rows whose discard still holds (migration.discarded_legacy_rows with the row's current
content) are accounted as discarded; quarantined rows not discarded, and rows with no user,
are unresolved: no user can read them. Rows nobody quarantined that cannot be read are
differences.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from psycopg2 import extensions, sql

from scripts.db.legacy_rows import WEEK_FIELDS, Day, LegacyRow, filled_days, first_day, is_empty, week_period

APP_ROLE = "authenticated"
READ_FUNCTION = "public.week_as_legacy(text,date)"

# {legacy}: the legacy table under its current name (scripts/db/legacy_table.py; 0039 renames it).
ROW_COLUMNS = """
SELECT h.id, h.child_name, h.week_period, h.week_start_date, h.theme, h.habits, h.reflection, h.reward,
       q.reason,
       EXISTS (SELECT 1 FROM migration.discarded_legacy_rows AS x WHERE x.legacy_id = h.id AND x.row = to_jsonb(h))
FROM {legacy} AS h
LEFT JOIN migration.backfill_quarantine AS q ON q.legacy_id = h.id"""
USERS = "SELECT DISTINCT user_id::TEXT FROM {legacy} WHERE user_id IS NOT NULL ORDER BY 1"
ROWS_OF_USER = ROW_COLUMNS + " WHERE h.user_id = %s ORDER BY h.id"
ROWS_WITHOUT_USER = ROW_COLUMNS + " WHERE h.user_id IS NULL ORDER BY h.id"


def on_legacy(query: str, legacy: sql.Identifier) -> sql.Composed:
    return sql.SQL(query).format(legacy=legacy)
CONFLICTS_OF_USER = """
SELECT legacy_id, field, habit_name, record_date, lost_value FROM migration.placement_conflicts WHERE user_id = %s"""
READ_WEEKS = """
SELECT w.child_name, w.monday, public.week_as_legacy(w.child_name, w.monday)
FROM unnest(%s::TEXT[], %s::DATE[]) AS w (child_name, monday)"""


@dataclass
class Parity:
    rows: int = 0
    users: int = 0
    rows_read: int = 0
    weeks_read: int = 0
    days_compared: int = 0
    days_equal: int = 0
    accounted_conflict: int = 0
    accounted_other_row: int = 0
    accounted_discarded: int = 0
    rows_discarded: int = 0
    differences: list[dict] = field(default_factory=list)
    unresolved: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences and not self.unresolved

    def summary(self) -> dict:
        return {"rows": self.rows, "users": self.users, "rows_read": self.rows_read,
                "rows_discarded": self.rows_discarded, "rows_unresolved": len(self.unresolved),
                "weeks_read": self.weeks_read, "days_compared": self.days_compared, "days_equal": self.days_equal,
                "accounted_conflict": self.accounted_conflict, "accounted_other_row": self.accounted_other_row,
                "accounted_discarded": self.accounted_discarded, "differences": len(self.differences)}


def legacy_row(record) -> tuple[LegacyRow, str | None, bool]:
    """(the row, its quarantine reason or None, whether its discard still holds)."""
    *columns, reason, discarded = record
    return LegacyRow(*columns), reason, discarded


def difference(row_id, what: str, *, child=None, day=None, habit=None, expected=None, got=None) -> dict:
    return {"legacy_id": row_id, "what": what, "child_name": child, "date": day.isoformat() if day else None,
            "habit": habit, "expected": expected, "got": got}


class UserCheck:
    """The comparison for one user's rows and the answers to their weeks."""

    def __init__(self, parity: Parity, rows: list[LegacyRow], conflicts: list[tuple]):
        self.parity = parity
        self.rows = rows
        self.days = {}
        self.conflicts = {(c[0], c[1], c[2], c[3], json.dumps(c[4], sort_keys=True)) for c in conflicts}
        for row in rows:
            days, problem = filled_days(row)
            if problem:
                parity.differences.append(difference(row.id, f"unreadable but not quarantined: {problem}",
                                                     child=row.child_name))
            else:
                self.days[row.id] = days
        # (child, habit, date) -> the statuses legacy rows give it, for the answer's every day.
        self.sources = defaultdict(set)
        for row in rows:
            for day in self.days.get(row.id, ()):
                self.sources[(row.child_name, day.habit, day.record_date)].add((day.status, row.id))

    def weeks(self) -> list[tuple[str, date]]:
        """Every (child, Monday) to read: the weeks of the rows' filled days and Monday starts."""
        wanted = set()
        for row in self.rows:
            if row.id not in self.days:
                continue
            wanted.update((row.child_name, day.monday) for day in self.days[row.id])
            start = first_day(row)
            if start.weekday() == 0:
                wanted.add((row.child_name, start))
        return sorted(wanted)

    def conflict(self, row_id, field_name, habit, day, value) -> bool:
        return (row_id, field_name, habit, day, json.dumps(value, sort_keys=True)) in self.conflicts

    def compare(self, answers: dict[tuple[str, date], dict | None]) -> None:
        parity = self.parity
        parity.weeks_read += len(answers)
        for row in self.rows:
            if row.id not in self.days:
                continue
            parity.rows_read += 1
            for day in self.days[row.id]:
                self.compare_day(row, day, answers.get((row.child_name, day.monday)))
            start = first_day(row)
            if start.weekday() == 0:
                self.compare_week(row, start, answers.get((row.child_name, start)))
        for (child, monday), answer in answers.items():
            self.contributed(child, monday, answer)

    def compare_day(self, row: LegacyRow, day: Day, answer: dict | None) -> None:
        parity = self.parity
        parity.days_compared += 1
        times = habit_times(answer).get(day.habit)
        got = None if times is None else times[(day.record_date - day.monday).days]
        if got == day.status:
            parity.days_equal += 1
        elif self.conflict(row.id, "status", day.habit, day.record_date, day.status):
            parity.accounted_conflict += 1
        else:
            what = "no such week" if answer is None else "no such habit" if times is None else "status differs"
            parity.differences.append(difference(row.id, what, child=row.child_name, day=day.record_date,
                                                 habit=day.habit, expected=day.status, got=got))

    def compare_week(self, row: LegacyRow, monday: date, answer: dict | None) -> None:
        parity = self.parity
        if answer is None:
            parity.differences.append(difference(row.id, "no such week", child=row.child_name, day=monday))
            return
        exact = {"child_name": row.child_name, "week_period": week_period(monday),
                 "week_start_date": monday.isoformat()}
        for name, expected in exact.items():
            if answer.get(name) != expected:
                parity.differences.append(difference(row.id, f"{name} differs", child=row.child_name, day=monday,
                                                     expected=expected, got=answer.get(name)))
        names = {habit["name"] for habit in answer.get("habits") or ()}
        for habit in (h["name"] for h in (row.habits or ())):
            if habit not in names:
                parity.differences.append(difference(row.id, "no such habit", child=row.child_name, day=monday,
                                                     habit=habit))
        for name in WEEK_FIELDS:
            mine, got = getattr(row, name), answer.get(name)
            if got == mine:
                continue
            if not is_empty(name, mine) and self.conflict(row.id, name, None, None, mine):
                parity.accounted_conflict += 1
            elif is_empty(name, mine) and self.other_monday_row_holds(row, monday, name, got):
                parity.accounted_other_row += 1
            else:
                parity.differences.append(difference(row.id, f"{name} differs", child=row.child_name, day=monday,
                                                     expected=mine, got=got))

    def other_monday_row_holds(self, row: LegacyRow, monday: date, name: str, value) -> bool:
        return any(other.id != row.id and other.child_name == row.child_name and first_day(other) == monday
                   and other.id in self.days and getattr(other, name) == value for other in self.rows)

    def contributed(self, child: str, monday: date, answer: dict | None) -> None:
        """Every status the answer shows comes from a legacy row; count those of more than one row."""
        for habit, times in habit_times(answer).items():
            for offset, status in enumerate(times):
                if status == "":
                    continue
                day = date.fromordinal(monday.toordinal() + offset)
                sources = self.sources.get((child, habit, day), set())
                if not any(given == status for given, _ in sources):
                    self.parity.differences.append(difference(None, "in no legacy row", child=child, day=day,
                                                              habit=habit, expected="", got=status))
                elif len({row_id for _, row_id in sources}) > 1:
                    self.parity.accounted_other_row += 1


def habit_times(answer: dict | None) -> dict[str, list]:
    return {habit["name"]: habit["times"] for habit in (answer or {}).get("habits") or ()}


def account_unreadable(parity: Parity, row: LegacyRow, reason: str | None, discarded: bool, has_user: bool) -> bool:
    """Account a discarded or unresolved row; False for a row to read."""
    if discarded:
        parity.rows_discarded += 1
        parity.accounted_discarded += len(filled_days(row)[0])
        return True
    if reason is not None or not has_user:
        parity.unresolved.append({"legacy_id": row.id, "child_name": row.child_name,
                                  "reason": reason or "no_user (not quarantined)"})
        return True
    return False


def read_weeks(cur, user_id: str, weeks: list[tuple[str, date]]) -> dict[tuple[str, date], dict | None]:
    """The answers of week_as_legacy() to `user_id` (its claims, role authenticated, RLS on)."""
    cur.execute(f"SET LOCAL ROLE {APP_ROLE}")
    cur.execute("SELECT set_config('request.jwt.claims', %s, true)",
                (json.dumps({"sub": user_id, "role": APP_ROLE}),))
    cur.execute(READ_WEEKS, ([child for child, _ in weeks], [monday for _, monday in weeks]))
    return {(child, monday): answer for child, monday, answer in cur.fetchall()}


def check_user(conn, parity: Parity, user_id: str, legacy: sql.Identifier) -> None:
    try:
        with conn.cursor() as cur:
            cur.execute(on_legacy(ROWS_OF_USER, legacy), (user_id,))
            rows = []
            for record in cur.fetchall():
                row, reason, discarded = legacy_row(record)
                parity.rows += 1
                if not account_unreadable(parity, row, reason, discarded, has_user=True):
                    rows.append(row)
            cur.execute(CONFLICTS_OF_USER, (user_id,))
            check = UserCheck(parity, rows, cur.fetchall())
            weeks = check.weeks()
            check.compare(read_weeks(cur, user_id, weeks) if weeks else {})
    finally:
        conn.rollback()


def run(conn, legacy: sql.Identifier) -> Parity:
    """Read parity over the whole legacy table (`legacy`: its name now); `conn` is not in autocommit."""
    conn.set_session(isolation_level=extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
    parity = Parity()
    try:
        with conn.cursor() as cur:
            cur.execute(on_legacy(ROWS_WITHOUT_USER, legacy))
            for record in cur.fetchall():
                row, reason, discarded = legacy_row(record)
                parity.rows += 1
                account_unreadable(parity, row, reason, discarded, has_user=False)
            cur.execute(on_legacy(USERS, legacy))
            users = [user_id for (user_id,) in cur.fetchall()]
    finally:
        conn.rollback()
    parity.users = len(users)
    for user_id in users:
        check_user(conn, parity, user_id, legacy)
    return parity
