"""`make demo` step: a legacy write (as an old client makes it) arriving in the new tables.

Inserts one legacy week for the first seeded child, updates one day of it, and shows how it
travels: the dual-write trigger queues each write (revision 0013), the drain (`make
sync-drain`; pg_cron or `make sync-worker` in production) syncs them, and the new tables then
hold the week, its habits and their records, with their source_version. Prints one line per
step; exit 2 if the database is not at head or empty.
"""
from __future__ import annotations

import json

from scripts.commands import sync_queue
from scripts.db.database_url import connect
from scripts.db.errors import UsageError, cli_main

HABITS = [{"id": 1, "name": "독서", "times": ["green", "", "", "", "", "", ""]},
          {"id": 1732000000000, "name": "줄넘기", "times": ["", "yellow", "", "", "", "", ""]}]
NEW_SIDE = """SELECT w.week_start_date, w.source_version, h.display_order, h.name, h.source_version,
                     string_agg(r.record_date || ' ' || r.status || ' (' || r.source_version || ')', ', '
                                ORDER BY r.record_date)
              FROM weeks w JOIN habits h ON h.week_id = w.id LEFT JOIN habit_records r ON r.habit_id = h.id
              WHERE w.id = migration.week_id(%s)
              GROUP BY 1, 2, 3, 4, 5 ORDER BY h.display_order"""


def show(cur, legacy_id: int) -> None:
    cur.execute(NEW_SIDE, (legacy_id,))
    for start, week_source, order, name, habit_source, records in cur.fetchall():
        print(f"   week of {start} ({week_source}) habit {order} {name} ({habit_source}): {records or 'no records'}")


def main(argv: list[str]) -> int:
    conn = connect()
    sync_queue.require_queue(conn)
    with conn.cursor() as cur:
        cur.execute("SELECT user_id, child_name FROM habit_tracker WHERE user_id IS NOT NULL ORDER BY id LIMIT 1")
        row = cur.fetchone()
        if row is None:
            raise UsageError("habit_tracker is empty: make seed first")
        user_id, child = row
        cur.execute("""INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id, theme)
                       VALUES (%s, '2027년 1월 4일 ~ 2027년 1월 10일', '2027-01-04', %s, %s, '새해')
                       RETURNING id""", (child, json.dumps(HABITS, ensure_ascii=False), user_id))
        legacy_id = cur.fetchone()[0]
        print(f"INSERT INTO habit_tracker: legacy row {legacy_id}, {child}, week of 2027-01-04, 2 habits")
        cur.execute("""UPDATE habit_tracker SET habits = jsonb_set(habits, '{1,times,2}', '"green"'), updated_at = now()
                       WHERE id = %s""", (legacy_id,))
        print(f"UPDATE habit_tracker: legacy row {legacy_id}, 줄넘기 on Wednesday -> green")
        entries, rows, _ = sync_queue.queue_status(conn)
        print(f"   queued by the trigger: {entries} writes of {rows} legacy row; the new tables wait for the drain")
        print("   " + sync_queue.report(sync_queue.drain_all(conn, batch=1000)))
        show(cur, legacy_id)
    conn.close()
    return 0


if __name__ == "__main__":
    cli_main(main)()
