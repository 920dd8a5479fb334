"""A hand-written legacy data set with every clean and dirty case of SCHEMA_FACTS §1, and
exactly what the mapping must make of it."""
from __future__ import annotations

import json

import psycopg2

from scripts.db.drift import detect

U1 = "11111111-1111-1111-1111-111111111111"
U2 = "22222222-2222-2222-2222-222222222222"


def habit(name, times, habit_id=1):
    return {"id": habit_id, "name": name, "times": times}


WEEK = ["", "", "", "", "", "", ""]
# (key, child_name, week_period, week_start_date, habits, user_id)
LEGACY_ROWS = [
    ("clean_two_habits_13_digit_id", "민준", "2025년 7월 21일 ~ 2025년 7월 27일", "2025-07-21",
     [habit("독서", ["green", "", "red", "", "", "", "yellow"]),
      habit("줄넘기", ["", "green", "", "", "", "", "none"], 1720000000000)], U1),
    ("habits_null", "민준", "2025년 7월 28일 ~ 2025년 8월 3일", "2025-07-28", None, U1),
    ("same_name_other_user", "민준", "2025년 7월 21일 ~ 2025년 7월 27일 (2)", "2025-07-21", [], U2),
    ("times_short", "서연", "2025년 7월 21일 ~ 2025년 7월 27일", "2025-07-21",
     [habit("양치하기", ["green", "green", "", "", ""])], U1),
    ("times_long_empty_extras", "서연", "2025년 7월 28일 ~ 2025년 8월 3일", "2025-07-28",
     [habit("운동", ["", "", "", "", "", "", "green", "", ""])], U1),
    ("label_disagrees_date_wins", "하윤", "2025년 8월 4일 ~ 2025년 8월 10일", "2025-07-21",
     [habit("숙제하기", WEEK)], U1),
    ("start_null_label_readable", "하윤", "2025년 8월 11일 ~ 2025년 8월 17일", None,
     [habit("정리정돈", ["", "", "", "", "red", "", ""])], U1),
    ("start_null_label_unreadable", "하윤", "다음 주", None, [], U1),
    ("sunday_start", "지우", "2025년 7월 28일 ~ 2025년 8월 3일", "2025-07-27", [habit("피아노", WEEK)], U1),
    ("tuesday_start", "지우", "2025년 7월 29일 ~ 2025년 8월 4일", "2025-07-29", [], U1),
    ("habits_object", "도윤", "w1", "2025-07-21", {"name": "독서"}, U1),
    ("habit_not_object", "도윤", "w2", "2025-07-28", ["독서"], U1),
    ("habit_name_empty", "도윤", "w3", "2025-08-04", [habit("", WEEK)], U1),
    ("habit_name_too_long", "도윤", "w4", "2025-08-11", [habit("가" * 201, WEEK)], U1),
    ("duplicate_habit_names", "도윤", "w5", "2025-08-18", [habit("독서", WEEK), habit("독서", WEEK, 2)], U1),
    ("times_object", "도윤", "w6", "2025-08-25", [habit("독서", {"mon": "green"})], U1),
    ("times_long_with_data", "도윤", "w7", "2025-09-01", [habit("독서", WEEK + ["green"])], U1),
    ("unknown_status", "도윤", "w8", "2025-09-08", [habit("독서", ["blue", "", "", "", "", "", ""])], U1),
    ("no_user", "현우", "w1", "2025-07-21", [], None),
    ("empty_child_name", "", "w1", "2025-07-21", [], U1),
    ("duplicate_week", "민준", "2025년 7월 21일 ~ 2025년 7월 27일 (다시)", "2025-07-21", [], U1),
]

# key -> quarantine reason (every other row is migrated)
QUARANTINED = {
    "start_null_label_unreadable": "no_week_start",
    "habits_object": "habits_not_array",
    "habit_not_object": "bad_habit",
    "habit_name_empty": "bad_habit_name",
    "habit_name_too_long": "bad_habit_name",
    "times_object": "times_not_array",
    "times_long_with_data": "times_too_long",
    "unknown_status": "unknown_status",
    "no_user": "no_user",
    "empty_child_name": "bad_child_name",
}

EXPECTED_CHILDREN = {(U1, "민준"), (U2, "민준"), (U1, "서연"), (U1, "하윤"), (U1, "지우"), (U1, "도윤")}
# (user, child, week_start, week_end)
EXPECTED_WEEKS = {
    (U1, "민준", "2025-07-21", "2025-07-27"), (U1, "민준", "2025-07-28", "2025-08-03"),
    (U2, "민준", "2025-07-21", "2025-07-27"), (U1, "서연", "2025-07-21", "2025-07-27"),
    (U1, "서연", "2025-07-28", "2025-08-03"), (U1, "하윤", "2025-07-21", "2025-07-27"),
    (U1, "하윤", "2025-08-11", "2025-08-17"),
    # The Sunday-start (07-27) and Tuesday-start (07-29) rows: six days each in the week of 07-28,
    # merged; neither has a filled day in its other week. Repeated names: one habit.
    (U1, "지우", "2025-07-28", "2025-08-03"), (U1, "도윤", "2025-08-18", "2025-08-24"),
}
# (child, week_start, habit, display_order)
EXPECTED_HABITS = {
    ("민준", "2025-07-21", "독서", 0), ("민준", "2025-07-21", "줄넘기", 1),
    ("서연", "2025-07-21", "양치하기", 0), ("서연", "2025-07-28", "운동", 0),
    ("하윤", "2025-07-21", "숙제하기", 0), ("하윤", "2025-08-11", "정리정돈", 0),
    ("지우", "2025-07-28", "피아노", 0), ("도윤", "2025-08-18", "독서", 0),
}
# (habit, record_date, status)
EXPECTED_RECORDS = {
    ("독서", "2025-07-21", "green"), ("독서", "2025-07-23", "red"), ("독서", "2025-07-27", "yellow"),
    ("줄넘기", "2025-07-22", "green"), ("줄넘기", "2025-07-27", "none"),
    ("양치하기", "2025-07-21", "green"), ("양치하기", "2025-07-22", "green"),
    ("운동", "2025-08-03", "green"),
    ("정리정돈", "2025-08-15", "red"),
}

# (legacy case, field) of the values a merge did not keep: the second Monday row of 민준's week
# and the Tuesday-start row (its six days tie with the Sunday row's; the lower id wins) lose
# their theme and reflection, which differ from the kept ones.
EXPECTED_CONFLICTS = {("duplicate_week", "theme"), ("duplicate_week", "reflection"),
                      ("tuesday_start", "theme"), ("tuesday_start", "reflection")}


def conflicts(conn, ids: dict[str, int]) -> set[tuple[str, str]]:
    """migration.placement_conflicts as (case key, field)."""
    key_of = {legacy_id: key for key, legacy_id in ids.items()}
    with conn.cursor() as cur:
        cur.execute("SELECT legacy_id, field FROM migration.placement_conflicts")
        return {(key_of[legacy_id], field) for legacy_id, field in cur.fetchall()}


def load(conn) -> dict[str, int]:
    """Insert the users and legacy rows; return legacy id by case key. They stand for data that
    predates the migration: the sync trigger (at 0012 and later) is skipped, the backfill maps them."""
    ids = {}
    with conn.cursor() as cur:
        cur.execute("SET migration.skip_sync_trigger = 'on'")
        cur.execute("INSERT INTO auth.users (id) VALUES (%s), (%s) ON CONFLICT DO NOTHING", (U1, U2))
        for key, child, period, start, habits, user in LEGACY_ROWS:
            cur.execute(
                """INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id, theme,
                                              reflection, reward, created_at, updated_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '2025-08-01', '2025-08-01') RETURNING id""",
                (child, period, start, None if habits is None else json.dumps(habits, ensure_ascii=False), user,
                 f"테마 {key}", json.dumps({"bestDay": "월", "easiestHabit": "", "nextWeekGoal": key}), None),
            )
            ids[key] = cur.fetchone()[0]
        cur.execute("RESET migration.skip_sync_trigger")
    return ids


def new_schema_content(conn) -> dict[str, set]:
    """The new tables, in the shape of the EXPECTED_* sets."""
    with conn.cursor() as cur:
        cur.execute("SELECT user_id::TEXT, name FROM children")
        children = set(cur.fetchall())
        cur.execute("""SELECT w.user_id::TEXT, c.name, w.week_start_date::TEXT, w.week_end_date::TEXT
                       FROM weeks w JOIN children c ON c.id = w.child_id""")
        weeks = set(cur.fetchall())
        cur.execute("""SELECT c.name, w.week_start_date::TEXT, h.name, h.display_order
                       FROM habits h JOIN weeks w ON w.id = h.week_id JOIN children c ON c.id = w.child_id""")
        habits = set(cur.fetchall())
        cur.execute("""SELECT h.name, r.record_date::TEXT, r.status FROM habit_records r
                       JOIN habits h ON h.id = r.habit_id""")
        records = set(cur.fetchall())
    return {"children": children, "weeks": weeks, "habits": habits, "records": records}


def full_dump(conn) -> list:
    """Every row of the four mapped tables and the quarantine (timestamps aside), for equality."""
    with conn.cursor() as cur:
        cur.execute("""SELECT 'c', id::TEXT, user_id::TEXT, name, source_version FROM children
                       UNION ALL SELECT 'w', id::TEXT, child_id::TEXT, week_start_date::TEXT || theme, source_version FROM weeks
                       UNION ALL SELECT 'h', id::TEXT, week_id::TEXT, name || display_order, source_version FROM habits
                       UNION ALL SELECT 'r', id::TEXT, habit_id::TEXT, record_date::TEXT || status, source_version
                                 FROM habit_records
                       UNION ALL SELECT 'q', legacy_id::TEXT, reason, detail, NULL FROM migration.backfill_quarantine
                       ORDER BY 1, 2""")
        return cur.fetchall()


def out_of_sync_weeks(conn) -> int:
    """Drift findings between the mapping and the new tables (the drift check's own comparison)."""
    own = psycopg2.connect(conn.dsn)  # drift works in one transaction of temporary tables
    try:
        return len(detect(own).findings)
    finally:
        own.close()
