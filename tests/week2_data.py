"""Small legacy and shadow data sets for the week-2 tests, written with plain SQL."""
from __future__ import annotations

import uuid


def add_user(conn) -> str:
    user_id = str(uuid.uuid4())
    with conn.cursor() as cur:
        cur.execute("INSERT INTO auth.users (id) VALUES (%s)", (user_id,))
    return user_id


def add_legacy_rows(conn, user_id: str, count: int = 5) -> None:
    with conn.cursor() as cur:
        for n in range(count):
            cur.execute(
                """INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id)
                   VALUES (%s, %s, DATE '2025-07-21' + %s * 7, %s, %s)""",
                (f"아이{n % 3}", f"week {n}", n,
                 '[{"id": 1, "name": "독서", "times": ["green", "", "red", "", "", "", "yellow"]}]', user_id),
            )


def legacy_fingerprint(conn) -> tuple[int, str]:
    """Row count and an md5 over every legacy row's full content: a lost or changed row shows."""
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), md5(coalesce(string_agg(t::TEXT, '|' ORDER BY id), '')) FROM habit_tracker t")
        return cur.fetchone()


def add_week(conn, user_id: str, start: str = "2025-07-21", child_name: str = "민준") -> str:
    """One child (if new) and one week in the shadow schema; returns the week id."""
    with conn.cursor() as cur:
        # ON CONFLICT cannot use the deferrable unique (user_id, name) as arbiter.
        cur.execute("SELECT id FROM children WHERE user_id = %s AND name = %s", (user_id, child_name))
        row = cur.fetchone()
        if row is None:
            cur.execute("INSERT INTO children (user_id, name) VALUES (%s, %s) RETURNING id", (user_id, child_name))
            row = cur.fetchone()
        child_id = row[0]
        cur.execute(
            """INSERT INTO weeks (user_id, child_id, week_start_date, week_end_date)
               VALUES (%s, %s, %s::DATE, %s::DATE + 6) RETURNING id""",
            (user_id, child_id, start, start),
        )
        return cur.fetchone()[0]
