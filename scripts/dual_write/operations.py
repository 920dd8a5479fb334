"""Each operation: the legacy write and, in the same transaction, the new tables made equal to
what the mapping gives for it.

The legacy row is written first, then migration.sync_legacy_row() (revision 0012, the
trigger's row sync, under the same per-child lock) maps it and the other rows of its
child-week; the caller's transaction has set the trigger's skip switch, so nothing is queued
twice. The sync classifies the row with the mapping's own rules (migration.row_problem(),
revision 0010) and quarantines a row it cannot map, with the reason: that verdict is read
back and the request refused (422 naming the field, or 409 for a second week of the same
child and Monday), and the transaction's rollback undoes all of it. The row is classified
once, by the sync. Every lookup is by the token's user id: another user's week is not found.
Each statement is a prepared one (prepared.py), planned once per pooled connection.
"""
from __future__ import annotations

import json

import psycopg2.errors

from scripts.dual_write.errors import ApiError, invalid
from scripts.dual_write.prepared import Statement
from scripts.dual_write.requests import Request, week_start
from scripts.seed_legacy import week_label

# The legacy row of a user's child-week: the one the mapping lets claim it (locally clean,
# oldest), locked for the write. child_week_ids() in FROM is inlined, so the lookup uses
# idx_habit_tracker_user_child_week (in `IN (SELECT f())` it is not, and habit_tracker is
# scanned whole). local_problem() only decides between two or more rows: the count is an
# InitPlan, and when it is 1 the EXISTS is not evaluated at all.
FIND_WEEK = Statement("dual_write_find_week", ("UUID", "TEXT", "DATE"), """
    SELECT h.id
    FROM migration.child_week_ids($1, $2, $3) AS w (id)
    JOIN habit_tracker h ON h.id = w.id
    ORDER BY EXISTS (SELECT 1 FROM migration.local_problem(h)
                     WHERE (SELECT count(*) FROM migration.child_week_ids($1, $2, $3)) > 1), h.id
    LIMIT 1
    FOR UPDATE OF h""")
# The other legacy rows of the row's child-week (their duplicate_week verdict depends on it).
CHILD_WEEK_ROWS = Statement("dual_write_child_week_rows", ("BIGINT",), """
    SELECT s.id FROM habit_tracker h, migration.child_week_rows(h) AS s (id) WHERE h.id = $1""")
# The sync's verdict on the row: quarantined with the mapping's reason, or not.
PROBLEM = Statement("dual_write_problem", ("BIGINT",), """
    SELECT q.reason, q.detail FROM migration.backfill_quarantine q WHERE q.legacy_id = $1""")
SYNC_ROW = Statement("dual_write_sync_row", ("BIGINT", "UUID"), """
    SELECT migration.sync_legacy_row($1, 'dual_write', $2)""")
INSERT_WEEK = Statement("dual_write_insert_week", ("TEXT", "TEXT", "DATE", "JSONB", "UUID", "TEXT", "JSONB", "TEXT"), """
    INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id, theme, reflection, reward)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    RETURNING id""")
# One day ($3) of the first habit named $2 in legacy row $1, returning the habit's position
# (no row: the week has no such habit). A times array shorter than the week is padded with
# '' first, so the day lands at its own index.
SET_DAY = Statement("dual_write_set_day", ("BIGINT", "TEXT", "INTEGER", "TEXT"), """
    UPDATE habit_tracker h
    SET habits = jsonb_set(h.habits, ARRAY[p.pos::TEXT, 'times'], (
            SELECT jsonb_agg(CASE WHEN d = $3 THEN to_jsonb($4) ELSE coalesce(h.habits -> p.pos -> 'times' -> d, '""')
                             END ORDER BY d)
            FROM generate_series(0, greatest(6, jsonb_array_length(coalesce(h.habits -> p.pos -> 'times', '[]')) - 1))
                AS d)),
        updated_at = now()
    FROM (SELECT e.pos FROM habit_tracker x, migration.habit_elements(x.habits) e
          WHERE x.id = $1 AND e.element ->> 'name' = $2 ORDER BY e.pos LIMIT 1) AS p
    WHERE h.id = $1
    RETURNING p.pos""")
DELETE_WEEK = Statement("dual_write_delete_week", ("BIGINT",), """
    DELETE FROM habit_tracker WHERE id = $1 RETURNING migration.child_id(user_id, child_name)""")
NEW_WEEK = Statement("dual_write_new_week", ("BIGINT",), """
    SELECT w.id, w.child_id,
           (SELECT count(*) FROM habits x WHERE x.week_id = w.id),
           (SELECT count(*) FROM habit_records r JOIN habits x ON x.id = r.habit_id WHERE x.week_id = w.id)
    FROM weeks w WHERE w.id = migration.week_id($1)""")
RECORD = Statement("dual_write_record", ("BIGINT", "INTEGER", "INTEGER"), """
    SELECT migration.habit_id($1, $2), migration.week_start(h) + $3,
           (SELECT r.status FROM habit_records r WHERE r.id = migration.record_id($1, $2, $3))
    FROM habit_tracker h WHERE h.id = $1""")
STATEMENTS = (FIND_WEEK, CHILD_WEEK_ROWS, PROBLEM, SYNC_ROW, INSERT_WEEK, SET_DAY, DELETE_WEEK, NEW_WEEK, RECORD)

# Which field of the request each of the mapping's reasons is about.
FIELD_OF_REASON = {
    "bad_child_name": "data.child_name", "no_week_start": "data.week_start_date", "not_monday": "data.week_start_date",
    "habits_not_array": "data.habits", "bad_habit": "data.habits", "bad_habit_name": "data.habits",
    "duplicate_habit_name": "data.habits", "times_not_array": "data.habits", "times_too_long": "data.habits",
    "unknown_status": "data.habits",
}


def _refuse_unmappable(cur, legacy_id: int, status_field: str = "data.habits") -> None:
    PROBLEM.run(cur, legacy_id)
    problem = cur.fetchone()
    if problem is None:
        return
    reason, detail = problem
    if reason == "duplicate_week":
        raise ApiError(409, "week_exists", "this child already has a week starting on that Monday")
    field = status_field if reason == "unknown_status" else FIELD_OF_REASON.get(reason, "data")
    raise invalid(field, f"{reason}: {detail}")


def _sync(cur, legacy_id: int, siblings: list[int], previous_child: str | None = None) -> None:
    SYNC_ROW.run(cur, legacy_id, previous_child)
    for sibling in siblings:
        SYNC_ROW.run(cur, sibling, None)
    # Deferred uniques of the new tables fire now, inside this request, not at COMMIT.
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _siblings(cur, legacy_id: int) -> list[int]:
    CHILD_WEEK_ROWS.run(cur, legacy_id)
    return [row[0] for row in cur.fetchall()]


def _find_week(cur, user_id: str, data: dict) -> int:
    monday = week_start(data)
    if monday.weekday() != 0:  # no week starts on another day (ck_weeks_start_monday)
        raise invalid("data.week_start_date", f"{monday} is not a Monday: weeks start on Monday")
    FIND_WEEK.run(cur, user_id, data["child_name"], monday)
    row = cur.fetchone()
    if row is None:
        raise ApiError(404, "week_not_found", f"no week of {data['child_name']!r} starting {monday}")
    return row[0]


def create_week(cur, user_id: str, data: dict) -> tuple[int, dict]:
    monday = week_start(data)
    reflection = data.get("reflection")
    try:
        INSERT_WEEK.run(cur, data["child_name"], week_label(monday), monday,
                        json.dumps(data["habits"], ensure_ascii=False), user_id, data.get("theme"),
                        None if reflection is None else json.dumps(reflection, ensure_ascii=False),
                        data.get("reward"))
    except psycopg2.errors.UniqueViolation:  # habit_tracker_child_week_unique: global in the legacy table
        raise ApiError(409, "week_exists", "a week of this child name starting on that Monday already exists") from None
    legacy_id = cur.fetchone()[0]
    _sync(cur, legacy_id, _siblings(cur, legacy_id))
    _refuse_unmappable(cur, legacy_id)
    NEW_WEEK.run(cur, legacy_id)
    week_id, child_id, habits, records = cur.fetchone()
    return 201, {"operation": "create_week", "legacy_id": legacy_id, "week_id": str(week_id),
                 "child_id": str(child_id), "habits": habits, "records": records}


def update_habit_record(cur, user_id: str, data: dict) -> tuple[int, dict]:
    legacy_id = _find_week(cur, user_id, data)
    day = data["day_index"]
    SET_DAY.run(cur, legacy_id, data["habit_name"], day, data["status"])
    row = cur.fetchone()
    if row is None:
        raise ApiError(404, "habit_not_found", f"the week has no habit named {data['habit_name']!r}")
    position = row[0]
    _sync(cur, legacy_id, _siblings(cur, legacy_id))
    _refuse_unmappable(cur, legacy_id, status_field="data.status")
    RECORD.run(cur, legacy_id, position, day)
    habit_id, record_date, status = cur.fetchone()
    return 200, {"operation": "update_habit_record", "legacy_id": legacy_id, "habit_id": str(habit_id),
                 "record_date": record_date.isoformat(), "status": status or ""}


def delete_week(cur, user_id: str, data: dict) -> tuple[int, dict]:
    legacy_id = _find_week(cur, user_id, data)
    siblings = _siblings(cur, legacy_id)
    DELETE_WEEK.run(cur, legacy_id)
    previous_child = cur.fetchone()[0]
    _sync(cur, legacy_id, siblings, previous_child)
    return 200, {"operation": "delete_week", "legacy_id": legacy_id, "deleted": True}


WRITES = {"create_week": create_week, "update_habit_record": update_habit_record, "delete_week": delete_week}


def run_write(cur, user_id: str, request: Request) -> tuple[int, dict]:
    return WRITES[request.operation](cur, user_id, request.data)
