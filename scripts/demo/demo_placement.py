"""`make demo` step: a legacy week that did not start on a Monday, and where each of its days went.

Before 0023 such a row was quarantined (not_monday) and would have been lost with the legacy
table. Picks the first clean legacy row starting on another day (a Sunday start first, the
real backup's most common case), prints each filled day with its date and the Monday week,
habit and status that hold it in the new tables, or the conflict that recorded it. Exit 2 if
the database is not at 0023 or later, or has no such row.
"""
from __future__ import annotations

from scripts.db.database_url import connect, require_revision_object
from scripts.db.errors import UsageError, cli_main

PICK = """SELECT c.legacy_id, c.start_date, to_char(c.start_date, 'FMDay'), (c.legacy).child_name, (c.legacy).week_period
          FROM migration.classified_legacy_rows AS c
          WHERE c.reason IS NULL AND extract(ISODOW FROM c.start_date) <> 1
            AND jsonb_path_exists((c.legacy).habits, '$[*].times[*] ? (@ != "")')
          ORDER BY extract(ISODOW FROM c.start_date) = 7 DESC, c.legacy_id
          LIMIT 1"""
# Each filled day of the row (the first seven of each habit), and what holds it.
DAYS = """SELECT e.element ->> 'name', h.week_start_date + (d.n - 1)::INTEGER AS day, d.status,
                 w.week_start_date, r.status, c.kept_value #>> '{}', c.kept_legacy_id
          FROM habit_tracker AS h
          CROSS JOIN LATERAL migration.habit_elements(h.habits) AS e
          CROSS JOIN LATERAL jsonb_array_elements_text(e.element -> 'times') WITH ORDINALITY AS d (status, n)
          LEFT JOIN weeks AS w ON w.child_id = migration.child_id(h.user_id, h.child_name)
              AND w.week_start_date = migration.monday_of(h.week_start_date + (d.n - 1)::INTEGER)
          LEFT JOIN habits AS x ON x.week_id = w.id AND x.name = e.element ->> 'name'
          LEFT JOIN habit_records AS r ON r.habit_id = x.id AND r.record_date = h.week_start_date + (d.n - 1)::INTEGER
          LEFT JOIN migration.placement_conflicts AS c ON c.legacy_id = h.id AND c.field = 'status'
              AND c.habit_name = e.element ->> 'name' AND c.record_date = h.week_start_date + (d.n - 1)::INTEGER
          WHERE h.id = %s AND d.n <= 7 AND d.status <> ''
          ORDER BY 2, 1"""


def main(argv: list[str]) -> int:
    conn = connect()
    require_revision_object(conn, "migration.placement(bigint[])",
                            "the database has no migration.placement(): upgrade to 0023_place_days_by_date or later")
    with conn.cursor() as cur:
        cur.execute(PICK)
        picked = cur.fetchone()
        if picked is None:
            raise UsageError("no clean legacy row starts on a day other than Monday: make seed first")
        legacy_id, start, weekday, child, label = picked
        print(f"   legacy row {legacy_id}: {child}, {label!r}, starts {start} (a {weekday}); "
              "before 0023 it was quarantined as not_monday")
        cur.execute(DAYS, (legacy_id,))
        for name, day, status, monday, kept, conflict_kept, conflict_row in cur.fetchall():
            if kept == status:
                where = f"week of {monday}, {name}: {kept}"
            elif conflict_kept is not None:
                where = f"week of {monday}: row {conflict_row}'s {conflict_kept} kept (updated later), {status} recorded"
            else:
                where = f"NOT FOUND (new tables hold {kept!r})"
            print(f"   {day} {name} {status:<6} -> {where}")
    conn.close()
    return 0


if __name__ == "__main__":
    cli_main(main)()
