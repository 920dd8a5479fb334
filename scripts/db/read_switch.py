"""The Phase 2 read switch (revision 0032_read_switch): read it, count who is on which side, change it.

migration.read_switch holds one row: the share of users (0-100) whose reads come from the new
tables. A user is on the new side iff migration.read_bucket(user) < share, the rule
public.reads_from_new() applies for the signed-in user; the counts here call the same function,
so they cannot disagree with what the app is told. "Users" are the distinct user ids of
public.children and the legacy table (those with something to read).

Used by `make cutover` (scripts/commands/cutover.py), by `make report`, and by the verify
module of 0032. Changing the share touches migration.read_switch (and its log) only: never a
data table.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from psycopg2 import sql

from scripts.db.legacy_table import identifier

SWITCH = "migration.read_switch"
LOG = "migration.read_switch_log"
LOCK_TIMEOUT = "5s"


@dataclass(frozen=True)
class SwitchState:
    percent: int
    changed_at: dt.datetime
    changed_by: str
    note: str | None
    users: int | None  # None: not counted
    on_new: int | None

    def summary(self) -> str:
        if self.users is None:
            return f"{self.percent}% (users not counted)"
        return f"{self.percent}% ({self.on_new} of {self.users} users on the new tables)"


@dataclass(frozen=True)
class Change:
    percent_before: int
    percent_after: int
    changed_at: dt.datetime
    changed_by: str
    note: str | None


def installed(conn) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (SWITCH,))
        return cur.fetchone()[0]


def percent(conn) -> int | None:
    """The share, None when the switch has no row (a hand-made DELETE: everyone reads legacy)."""
    with conn.cursor() as cur:
        cur.execute("SELECT percent FROM migration.read_switch")
        row = cur.fetchone()
    return None if row is None else row[0]


def state(conn, count: bool = True) -> SwitchState | None:
    """The share and, with `count`, how many users it puts on the new side (that reads children
    and habit_tracker: ACCESS SHARE, in the caller's transaction). None when the row is missing."""
    with conn.cursor() as cur:
        cur.execute("SELECT percent, changed_at, changed_by, note FROM migration.read_switch")
        row = cur.fetchone()
        if row is None:
            return None
        if not count:
            return SwitchState(*row, None, None)
        # The legacy table under its current name (0039 renames it; once dropped, children alone).
        legacy = identifier(conn)
        legacy_users = (sql.SQL("UNION SELECT user_id FROM {} WHERE user_id IS NOT NULL").format(legacy)
                        if legacy is not None else sql.SQL(""))
        cur.execute(sql.SQL("""
            WITH users AS (
                SELECT user_id FROM public.children
                {}
            )
            SELECT count(*), count(*) FILTER (WHERE migration.read_bucket(user_id) < %s) FROM users""").format(
            legacy_users), (row[0],))
        return SwitchState(*row, *cur.fetchone())


def history(conn, limit: int = 5) -> list[Change]:
    """The latest changes, newest first."""
    with conn.cursor() as cur:
        cur.execute("""SELECT percent_before, percent_after, changed_at, changed_by, note
                       FROM migration.read_switch_log ORDER BY id DESC LIMIT %s""", (limit,))
        return [Change(*row) for row in cur.fetchall()]


class ChangedMeanwhile(Exception):
    """The share was raised by someone else between the caller's gate and the change."""


def set_percent(conn, new: int, by: str | None, note: str | None, *, gated: bool) -> int:
    """Store the share `new` in the caller's open transaction (not committed here); the share
    before. Locks the switch's row (FOR UPDATE) and nothing else: no data table is read.
    `gated`: whether the caller ran the gate. If it did not (it meant to lower the share) and
    the share is now below `new` (another operator lowered it meanwhile), this would be an
    ungated raise: ChangedMeanwhile, nothing changed."""
    with conn.cursor() as cur:
        cur.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cur.execute("SELECT percent FROM migration.read_switch FOR UPDATE")
        row = cur.fetchone()
        if row is None:
            cur.execute("INSERT INTO migration.read_switch (percent) VALUES (0) RETURNING percent")
            row = cur.fetchone()
        before = row[0]
        if new > before and not gated:
            raise ChangedMeanwhile(before)
        if new != before:
            cur.execute("""UPDATE migration.read_switch
                           SET percent = %s, changed_at = now(), changed_by = coalesce(%s, current_user), note = %s""",
                        (new, by, note))
    return before
