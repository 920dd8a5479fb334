"""Nothing stranded (0023): every filled day of a legacy row goes to the Monday week of its own
date, rows of one child-week merge, and what a merge does not keep is recorded.

Hand-written rows for each case of the real backup (JOURNEY_FACTS, "Data facts"): Sunday- and
Tuesday-start weeks colliding with a Monday week of the same child, two rows giving the same day
(one agreeing, one disagreeing: the later updated_at wins), the owner-less row, repeated
placeholder names. Then the same rows written by the old app during Phase 1 (the trigger and
the drain), and later edits of either contributing row.
"""
from __future__ import annotations

import json

import pytest

from helpers import LEGACY_WRITABLE, assert_no_drift, drain, scalar, starts_at, unschedule_drain
from legacy_cases import U1, WEEK, habit

# The Monday week of 2025-09-01 and its neighbours.
MON = "2025-09-01"
SUNDAY_BEFORE = "2025-08-31"   # 1 day (08-31) in the week of 08-25, 6 days (09-01..09-06) in the week of 09-01
TUESDAY = "2025-09-02"         # 6 days (09-02..09-07) in the week of 09-01, 1 day (09-08) in the week of 09-08


def row(db, child, start, habits, *, user=U1, theme=None, updated="2025-09-10 12:00+00", period=None) -> int:
    """A legacy row as the old app stored it (its label says its own first day)."""
    return scalar(db, """INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id, theme,
                                                    reflection, created_at, updated_at)
                         VALUES (%s, %s, %s, %s, %s, %s, '{"bestDay": "", "easiestHabit": "", "nextWeekGoal": ""}',
                                 %s, %s) RETURNING id""",
                  (child, period or f"{child} from {start}", start, json.dumps(habits, ensure_ascii=False), user,
                   theme, updated, updated))


def days(*statuses) -> list[str]:
    return list(statuses) + [""] * (7 - len(statuses))


def weeks(db, child="민준") -> dict[str, tuple]:
    """week start -> (week id, theme, [(display_order, habit)], {(habit, date): status})."""
    out = {}
    with db.cursor() as cur:
        cur.execute("""SELECT w.id::TEXT, w.week_start_date::TEXT, w.theme FROM weeks w JOIN children c ON c.id = w.child_id
                       WHERE c.name = %s ORDER BY 2""", (child,))
        for week_id, start, theme in cur.fetchall():
            cur.execute("SELECT display_order, name FROM habits WHERE week_id = %s ORDER BY 1", (week_id,))
            habits = cur.fetchall()
            cur.execute("""SELECT h.name, r.record_date::TEXT, r.status FROM habit_records r
                           JOIN habits h ON h.id = r.habit_id WHERE h.week_id = %s""", (week_id,))
            out[start] = (week_id, theme, habits, {(n, d): s for n, d, s in cur.fetchall()})
    return out


def conflicts(db) -> set[tuple]:
    with db.cursor() as cur:
        cur.execute("""SELECT legacy_id, field, habit_name, record_date::TEXT, lost_value #>> '{}', kept_value #>> '{}',
                              kept_legacy_id FROM migration.placement_conflicts""")
        return set(cur.fetchall())


def quarantine(db) -> dict[int, str]:
    with db.cursor() as cur:
        cur.execute("SELECT legacy_id, reason FROM migration.backfill_quarantine")
        return dict(cur.fetchall())


def backfill(db, ids) -> None:
    db.cursor().execute("SELECT * FROM migration.sync_legacy_ids(%s, 'migration')", (list(ids),))


@pytest.fixture
@starts_at(LEGACY_WRITABLE)
def at_head(db, migrate):
    migrate("upgrade", LEGACY_WRITABLE)
    with db.cursor() as cur:
        cur.execute("INSERT INTO auth.users (id) VALUES (%s)", (U1,))
    unschedule_drain(db)
    with db.cursor() as cur:
        cur.execute("SET migration.skip_sync_trigger = 'on'")  # rows that predate the trigger; the backfill maps them
    return db


@pytest.fixture
def backup_shaped(at_head):
    """A Monday row, a Sunday-start row and a Tuesday-start row of the same child and week, the
    owner-less Sunday row and the row of placeholder names."""
    db = at_head
    ids = {
        "monday": row(db, "민준", MON, [habit("독서", days("green", "red", "green")), habit("운동", days("", "yellow"))],
                      theme="월요일 테마", updated="2025-09-05 09:00+00"),
        # 08-31 green lands in the week of 08-25; 09-01 green agrees with the Monday row; 09-03
        # red disagrees and this row was updated later: red wins, green is recorded.
        "sunday": row(db, "민준", SUNDAY_BEFORE, [habit("독서", days("green", "green", "", "red")),
                                                  habit("줄넘기", days("", "yellow"))],
                      theme="일요일 테마", updated="2025-09-06 09:00+00"),
        # 09-08 (its seventh day) lands in the week of 09-08: only 피아노, filled that day, goes there.
        "tuesday": row(db, "민준", TUESDAY, [habit("피아노", days("", "", "", "", "", "", "green")),
                                            habit("독서", WEEK)], theme="화요일 테마", updated="2025-09-04 09:00+00"),
        "no_user": row(db, "test", SUNDAY_BEFORE, [habit("독서", days("green"))], user=None),
        "placeholders": row(db, "서연", MON, [habit("습관", WEEK, n) for n in range(4)]),
    }
    backfill(db, ids.values())
    return ids


def test_each_filled_day_is_placed_on_its_own_date(backup_shaped, at_head):
    ids, db = backup_shaped, at_head
    placed = weeks(db)
    assert sorted(placed) == ["2025-08-25", "2025-09-01", "2025-09-08"]

    week_id, theme, habits, records = placed[MON]
    # The Monday row's id, fields and habits first; then the others' new names, in order seen.
    assert week_id == scalar(db, "SELECT migration.week_id(%s)::TEXT", (ids["monday"],))
    assert theme == "월요일 테마"
    assert habits == [(0, "독서"), (1, "운동"), (2, "줄넘기"), (3, "피아노")]
    assert records == {
        ("독서", "2025-09-01"): "green",
        ("독서", "2025-09-02"): "red",     # the Monday row's alone; the Sunday row's 09-02 is empty
        ("독서", "2025-09-03"): "red",     # the Sunday row (updated later) wins over the Monday row's green
        ("운동", "2025-09-02"): "yellow",
        ("줄넘기", "2025-09-01"): "yellow",
    }
    # The Sunday row's first day, in the week before: only the habit filled that day, and, no
    # Monday row being there, the fields of the row with most days in it (the only one).
    assert placed["2025-08-25"][1:] == ("일요일 테마", [(0, "독서")], {("독서", "2025-08-31"): "green"})
    # The Tuesday row's seventh day, in the week after.
    assert placed["2025-09-08"][1:] == ("화요일 테마", [(0, "피아노")], {("피아노", "2025-09-08"): "green"})
    assert placed["2025-09-08"][0] == scalar(
        db, "SELECT md5('habit_tracker/week/' || migration.child_id(%s, '민준') || '/2025-09-08')::UUID::TEXT", (U1,))


def test_agreements_merge_and_disagreements_are_recorded(backup_shaped, at_head):
    ids, db = backup_shaped, at_head
    assert conflicts(db) == {
        # The Monday row's green on 09-03 lost to the later-updated Sunday row's red.
        (ids["monday"], "status", "독서", "2025-09-03", "green", "red", ids["sunday"]),
        # Two rows with a theme of their own in a week whose fields are the Monday row's.
        (ids["sunday"], "theme", None, None, "일요일 테마", "월요일 테마", ids["monday"]),
        (ids["tuesday"], "theme", None, None, "화요일 테마", "월요일 테마", ids["monday"]),
    }
    # 09-01 green is given by both rows: one record, no conflict.


def test_only_missing_facts_stay_out(backup_shaped, at_head):
    ids, db = backup_shaped, at_head
    assert quarantine(db) == {ids["no_user"]: "no_user"}
    assert scalar(db, "SELECT count(*) FROM children WHERE name = 'test'") == 0
    # Four placeholder habits of one name, all empty: one habit, nothing dropped (no day to drop).
    assert weeks(db, "서연")[MON][2:] == ([(0, "습관")], {})


def test_repeated_names_that_disagree_keep_the_first_and_record_the_other(at_head):
    db = at_head
    legacy_id = row(db, "하윤", MON, [habit("숙제", days("green", "red")), habit("숙제", days("green", "", "yellow"), 2)])
    backfill(db, [legacy_id])
    assert weeks(db, "하윤")[MON][2:] == ([(0, "숙제")], {("숙제", "2025-09-01"): "green", ("숙제", "2025-09-02"): "red",
                                                       ("숙제", "2025-09-03"): "yellow"})
    assert conflicts(db) == set()  # 09-01 agrees; 09-02 and 09-03 are each given once
    with db.cursor() as cur:
        cur.execute("""UPDATE habit_tracker SET habits = jsonb_set(habits, '{1,times,1}', '"green"') WHERE id = %s""",
                    (legacy_id,))
    backfill(db, [legacy_id])
    assert weeks(db, "하윤")[MON][3][("숙제", "2025-09-02")] == "red"
    assert conflicts(db) == {(legacy_id, "status", "숙제", "2025-09-02", "green", "red", legacy_id)}


def test_ids_of_weeks_a_monday_row_already_mapped_do_not_change(at_head):
    """The weeks, habits and records 0010 gave a Monday row keep their ids: the backfill after
    0023 writes only what was stranded."""
    db = at_head
    legacy_id = row(db, "민준", MON, [habit("독서", days("green")), habit("운동", days("", "red"))])
    backfill(db, [legacy_id])
    with db.cursor() as cur:
        cur.execute("""SELECT (SELECT array_agg(id ORDER BY display_order) FROM habits WHERE week_id = w.id)
                              = ARRAY[migration.habit_id(%(id)s, 0), migration.habit_id(%(id)s, 1)],
                              (SELECT array_agg(r.id ORDER BY r.record_date) FROM habit_records r
                               JOIN habits h ON h.id = r.habit_id WHERE h.week_id = w.id)
                              = ARRAY[migration.record_id(%(id)s, 0, 0), migration.record_id(%(id)s, 1, 1)]
                       FROM weeks w WHERE w.id = migration.week_id(%(id)s)""", {"id": legacy_id})
        assert cur.fetchone() == (True, True)


def test_a_second_sync_writes_nothing(backup_shaped, at_head):
    ids, db = backup_shaped, at_head
    with db.cursor() as cur:
        cur.execute("SELECT * FROM migration.sync_legacy_ids(%s, 'migration')", (list(ids.values()),))
        assert cur.fetchone()[2:] == (0, 0, 0, 0)  # weeks, habits, records written; rows deleted


# --- Phase 1: the same rows written by the old app, through the trigger and the drain ---------

@pytest.fixture
def phase1(at_head):
    at_head.cursor().execute("RESET migration.skip_sync_trigger")
    return at_head


def test_a_tuesday_start_insert_is_placed_within_one_drain(phase1, database_url):
    db = phase1
    monday = row(db, "민준", MON, [habit("독서", days("green"))], theme="월")
    drain(db)
    tuesday = row(db, "민준", TUESDAY, [habit("독서", days("yellow", "", "", "", "", "", "red"))])
    assert drain(db)[2] == 0
    placed = weeks(db)
    assert placed[MON][3] == {("독서", "2025-09-01"): "green", ("독서", "2025-09-02"): "yellow"}
    assert placed["2025-09-08"][3] == {("독서", "2025-09-08"): "red"}
    assert scalar(db, "SELECT count(*) FROM migration.sync_queue") == 0
    assert quarantine(db) == {}

    # A later edit of either contributing row is placed again.
    with db.cursor() as cur:
        cur.execute("""UPDATE habit_tracker SET habits = jsonb_set(habits, '{0,times,6}', '""') WHERE id = %s""",
                    (tuesday,))
        drain(db)
        assert sorted(weeks(db)) == [MON]  # its seventh day emptied: the week after has nothing left
        cur.execute("""UPDATE habit_tracker SET habits = habits || '[{"id": 3, "name": "운동", "times": ["red"]}]'
                       WHERE id = %s""", (monday,))
        drain(db)
    assert weeks(db)[MON][2:] == ([(0, "독서"), (1, "운동")], {("독서", "2025-09-01"): "green",
                                                               ("독서", "2025-09-02"): "yellow",
                                                               ("운동", "2025-09-01"): "red"})
    assert_no_drift(database_url)


def test_deleting_a_contributing_row_leaves_the_others_days(phase1, database_url):
    db = phase1
    monday = row(db, "민준", MON, [habit("독서", days("green", "red"))], updated="2025-09-05 09:00+00")
    sunday = row(db, "민준", SUNDAY_BEFORE, [habit("독서", days("green", "", "green"))], updated="2025-09-06 09:00+00")
    drain(db)
    assert weeks(db)[MON][3] == {("독서", "2025-09-01"): "green", ("독서", "2025-09-02"): "green"}
    assert conflicts(db) == {(monday, "status", "독서", "2025-09-02", "red", "green", sunday)}
    with db.cursor() as cur:
        cur.execute("DELETE FROM habit_tracker WHERE id = %s", (sunday,))
    drain(db)
    placed = weeks(db)
    assert sorted(placed) == [MON]
    assert placed[MON][3] == {("독서", "2025-09-01"): "green", ("독서", "2025-09-02"): "red"}
    assert conflicts(db) == set()
    assert scalar(db, "SELECT count(*) FROM migration.sync_state WHERE legacy_id = %s", (sunday,)) == 0
    assert_no_drift(database_url)
