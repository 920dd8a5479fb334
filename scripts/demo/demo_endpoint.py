"""`make demo` step: one call of each dual-write operation, and both schemas agreeing after each.

Starts the endpoint (`make serve`) on a free loopback port with a throwaway JWT secret,
signs a user token for the first seeded user, and calls create_week, update_habit_record,
verify_consistency and delete_week in turn, printing the response, the legacy row and the new
tables' rows after each; then `make drift` (the Makefile's next step) checks everything.
Exit 2 if the database is not at head or has no seeded user, or the endpoint answers 503
(its database is unavailable or too old); exit 1 if a call gets another status than expected.
"""
from __future__ import annotations

import secrets

from scripts.db.database_url import connect, database_url, require_revision_object
from scripts.dual_write.client import Client, user_token
from scripts.dual_write.local_server import running_endpoint
from scripts.db.errors import CheckFailed, UsageError, cli_main

CHILD, MONDAY = "데모", "2027-02-01"
HABITS = [{"id": 1, "name": "독서", "times": ["green", "", "", "", "", "", ""]},
          {"id": 1732000000001, "name": "물 마시기", "times": ["", "", "", "", "", "", ""]}]
LEGACY = """SELECT count(*), string_agg(h.habits::TEXT, '') FROM habit_tracker h
            WHERE h.user_id = %s AND h.child_name = %s AND h.week_start_date = %s"""
NEW = """SELECT count(DISTINCT w.id), count(DISTINCT x.id),
                string_agg(x.name || ' ' || r.record_date || ' ' || r.status || ' (' || r.source_version || ')', ', '
                           ORDER BY x.display_order, r.record_date)
         FROM weeks w JOIN children c ON c.id = w.child_id
         LEFT JOIN habits x ON x.week_id = w.id LEFT JOIN habit_records r ON r.habit_id = x.id
         WHERE w.user_id = %s AND c.name = %s AND w.week_start_date = %s"""


def show_both(conn, user_id: str) -> None:
    with conn.cursor() as cur:
        cur.execute(LEGACY, (user_id, CHILD, MONDAY))
        rows, habits = cur.fetchone()
        print(f"   habit_tracker: {rows} row{'' if rows == 1 else 's'}{': ' + habits if habits else ''}")
        cur.execute(NEW, (user_id, CHILD, MONDAY))
        weeks, habit_count, records = cur.fetchone()
        print(f"   new tables:    {weeks} week, {habit_count} habits; records: {records or 'none'}")


def expect(operation: str, status: int, body: dict, expected: int) -> None:
    if status == expected:
        return
    error = body.get("error") or {}
    what = f"the endpoint answered {operation} with {status} {error.get('code', '')}: {error.get('message', body)}"
    raise UsageError(what) if status == 503 else CheckFailed(f"{what} (expected {expected})")


def main(argv: list[str]) -> int:
    if argv:
        raise UsageError("usage: python -m scripts.demo.demo_endpoint")
    conn = connect()
    require_revision_object(conn, "migration.drain_sync_queue(integer)", "the database is not at head: make upgrade")
    with conn.cursor() as cur:
        cur.execute("SELECT user_id::TEXT FROM habit_tracker WHERE user_id IS NOT NULL ORDER BY id LIMIT 1")
        row = cur.fetchone()
    if row is None:
        raise UsageError("habit_tracker has no user's row: make seed first")
    user_id, secret = row[0], secrets.token_urlsafe(32)
    calls = [  # (operation, data, the status expected)
        ("create_week", {"child_name": CHILD, "week_start_date": MONDAY, "habits": HABITS, "theme": "겨울"}, 201),
        ("update_habit_record", {"child_name": CHILD, "week_start_date": MONDAY, "habit_name": "물 마시기",
                                 "day_index": 2, "status": "yellow"}, 200),
        ("verify_consistency", {}, 200),
        ("delete_week", {"child_name": CHILD, "week_start_date": MONDAY}, 200),
    ]
    with running_endpoint(database_url(), secret, pool_size=2) as url:
        client = Client(url, user_token(user_id, secret))
        print(f"endpoint on {url}, as user {user_id}")
        for n, (operation, data, expected) in enumerate(calls):
            status, body = client.call(operation, data, key=f"demo-{n}")
            print(f"POST {operation}: {status} {body}")
            expect(operation, status, body, expected)
            show_both(conn, user_id)
        operation, data, expected = calls[0]
        status, body = client.call(operation, data, key="demo-0")
        expect(operation, status, body, expected)
        print(f"POST create_week again with key demo-0 (a retry): {status}, the stored response replayed; "
              f"the week stays deleted")
        client.close()
    conn.close()
    return 0


if __name__ == "__main__":
    cli_main(main)()
