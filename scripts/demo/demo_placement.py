"""`make demo` step: a legacy week that did not start on a Monday, and where each of its days went.

Before 0023 such a row was quarantined (not_monday) and would have been lost with the legacy
table. Picks the first clean legacy row starting on another day (a Sunday start first, the
real backup's most common case), prints each filled day with its date and where the invariant
(migration.legacy_day_accounts, 0024) finds it: the Monday week holding it, or the conflict
that recorded it. Exit 2 if
the database is not at 0024 or later, or has no such row.
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
# Each filled day of the row (the first seven of each habit) and where it is: the accounts of
# the invariant (migration.legacy_day_accounts, 0024), with the kept value for a conflict.
DAYS = """SELECT a.habit_name, a.record_date, a.status, migration.monday_of(a.record_date), a.account,
                 c.kept_value #>> '{}', c.kept_legacy_id
          FROM migration.legacy_day_accounts AS a
          LEFT JOIN migration.placement_conflicts AS c ON a.account = 'conflict' AND c.legacy_id = a.legacy_id
              AND c.field = 'status' AND c.habit_name = a.habit_name AND c.record_date = a.record_date
              AND c.lost_value = to_jsonb(a.status)
          WHERE a.legacy_id = %s AND a.day <= 7
          ORDER BY 2, 1"""


def main(argv: list[str]) -> int:
    conn = connect()
    require_revision_object(conn, "migration.filled_days(habit_tracker)",
                            "the database has no migration.legacy_day_accounts: upgrade to 0024_quarantine_decisions "
                            "or later")
    with conn.cursor() as cur:
        cur.execute(PICK)
        picked = cur.fetchone()
        if picked is None:
            raise UsageError("no clean legacy row starts on a day other than Monday: make seed first")
        legacy_id, start, weekday, child, label = picked
        print(f"   legacy row {legacy_id}: {child}, {label!r}, starts {start} (a {weekday}); "
              "before 0023 it was quarantined as not_monday")
        cur.execute(DAYS, (legacy_id,))
        for name, day, status, monday, account, conflict_kept, conflict_row in cur.fetchall():
            if account == "placed":
                where = f"week of {monday}, {name}: {status}"
            elif account == "conflict":
                where = f"week of {monday}: row {conflict_row}'s {conflict_kept} kept (updated later), {status} recorded"
            else:
                where = f"{account.upper()} (make verify names it)"
            print(f"   {day} {name} {status:<6} -> {where}")
    conn.close()
    return 0


if __name__ == "__main__":
    cli_main(main)()
