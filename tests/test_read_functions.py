"""The read functions of 0031 as the app calls them through PostgREST (role authenticated, the
user's JWT claims, RLS on): a week in exactly the legacy row's shape, the lists, isolation
between users and from anon, and index-served lookups."""
from __future__ import annotations

import json

import psycopg2
import pytest

from helpers import LEGACY_WRITABLE, drain, insert, run_in_process, scalar, starts_at, unschedule_drain
from legacy_cases import U1, U2, habit
from reads import as_role, week_as_legacy
from scripts.commands.backfill import run as backfill
from scripts.commands.seed_legacy import seed
from scripts.db.scan_counts import READ_TABLES, scans_during

FUNCTIONS = ("public.week_as_legacy('민준', '2025-07-21')", "public.my_children()", "public.child_weeks('민준')",
             "public.week_period_label('2025-07-21')")
# The columns the app synced of a habit_tracker row; id, user_id and the timestamps have no
# counterpart in the week's shape (a week is named by child and Monday).
NOT_IN_THE_SHAPE = {"id", "user_id", "created_at", "updated_at"}
MONDAY, SUNDAY = "2025-07-21", "2025-07-27"
SMALL_TABLE_ROWS = 1_000  # below this a sequential scan is a few pages and the planner's right choice


def habit_ids(db, child: str, monday: str) -> dict[str, str]:
    with db.cursor() as cur:
        cur.execute("""SELECT h.name, h.id::TEXT FROM habits h JOIN weeks w ON w.id = h.week_id
                       JOIN children c ON c.id = w.child_id WHERE c.name = %s AND w.week_start_date = %s""",
                    (child, monday))
        return dict(cur.fetchall())


def test_a_week_reads_exactly_as_its_legacy_row(synced, database_url):
    habits = [habit("독서", ["green", "", "red", "", "", "", "none"], 1720000000000),
              habit("줄넘기", ["yellow", "green"], 2)]  # times shorter than 7: the rest ''
    legacy_id = scalar(synced, """INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id,
                                                            theme, reflection, reward)
                                 VALUES ('민준', '2025년 7월 21일 ~ 2025년 7월 27일', %s, %s, %s, '여름',
                                         '{"bestDay": "월", "easiestHabit": "독서", "nextWeekGoal": ""}', '아이스크림')
                                 RETURNING id""", (MONDAY, json.dumps(habits, ensure_ascii=False), U1))
    drain(synced)
    with synced.cursor() as cur:
        cur.execute("""SELECT to_jsonb(h) FROM habit_tracker h WHERE id = %s""", (legacy_id,))
        row = cur.fetchone()[0]
    ids = habit_ids(synced, "민준", MONDAY)
    got = week_as_legacy(database_url, U1, "민준", MONDAY)
    assert set(got) == set(row) - NOT_IN_THE_SHAPE
    assert got == {
        "child_name": "민준", "week_period": row["week_period"], "theme": "여름", "reward": "아이스크림",
        "reflection": {"bestDay": "월", "easiestHabit": "독서", "nextWeekGoal": ""}, "week_start_date": MONDAY,
        "habits": [{"id": ids["독서"], "name": "독서", "times": ["green", "", "red", "", "", "", "none"]},
                   {"id": ids["줄넘기"], "name": "줄넘기", "times": ["yellow", "green", "", "", "", "", ""]}]}
    assert {k: got[k] for k in ("child_name", "week_period", "theme", "reflection", "reward", "week_start_date")} \
        == {k: row[k] for k in ("child_name", "week_period", "theme", "reflection", "reward", "week_start_date")}


def test_a_sunday_start_row_reads_in_two_monday_weeks(synced, database_url):
    insert(synced, start=SUNDAY, habits=[habit("피아노", ["green", "red", "yellow", "green", "", "", "red"])])
    before = week_as_legacy(database_url, U1, "민준", MONDAY)
    after = week_as_legacy(database_url, U1, "민준", "2025-07-28")
    # Its first day (Sunday 27th) is the last of the week of the 21st; the other six open the next.
    assert [h["times"] for h in before["habits"] if h["name"] == "피아노"] == [["", "", "", "", "", "", "green"]]
    assert [h["times"] for h in after["habits"] if h["name"] == "피아노"] == [["red", "yellow", "green", "", "", "red", ""]]
    assert (before["week_period"], after["week_period"]) == ("2025년 7월 21일 ~ 2025년 7월 27일",
                                                           "2025년 7월 28일 ~ 2025년 8월 3일")
    with as_role(database_url, user=U1) as cur, pytest.raises(psycopg2.Error) as refused:
        cur.execute("SELECT public.week_as_legacy('민준', %s)", (SUNDAY,))
    assert refused.value.pgcode == "22023"
    assert refused.value.diag.message_hint == "Weeks start on Monday; the week holding 2025-07-27 starts on 2025-07-21."


def test_nothing_for_a_child_or_week_the_caller_does_not_have(synced, database_url):
    insert(synced)
    assert week_as_legacy(database_url, U1, "민준", MONDAY) is not None
    assert week_as_legacy(database_url, U1, "서연", MONDAY) is None
    assert week_as_legacy(database_url, U1, "민준", "2025-07-28") is None
    with as_role(database_url) as cur:  # authenticated without claims: auth.uid() is NULL
        cur.execute("SELECT public.week_as_legacy('민준', %s), (SELECT count(*) FROM public.my_children())", (MONDAY,))
        assert cur.fetchone() == (None, 0)
    # The owner bypasses RLS; the functions still name the caller's user, so it gets nothing.
    assert scalar(synced, "SELECT public.week_as_legacy('민준', %s)", (MONDAY,)) is None


def test_each_user_reads_only_their_own_and_anon_nothing(synced, database_url):
    insert(synced, child="민준")
    insert(synced, child="민준", user=U2, period="U2's")
    insert(synced, child="하윤", user=U2, start="2025-07-28")
    mine = week_as_legacy(database_url, U1, "민준", MONDAY)
    theirs = week_as_legacy(database_url, U2, "민준", MONDAY)
    assert mine["habits"][0]["id"] != theirs["habits"][0]["id"]  # same name and week, two families
    assert week_as_legacy(database_url, U1, "하윤", "2025-07-28") is None
    with as_role(database_url, user=U1) as cur:
        cur.execute("SELECT child_name, week_count, latest_week_start::TEXT FROM public.my_children()")
        assert cur.fetchall() == [("민준", 1, MONDAY)]
    for role in ("anon", "service_role"):
        for call in FUNCTIONS:
            with as_role(database_url, role=role, user=U1) as cur, pytest.raises(psycopg2.Error) as refused:
                cur.execute(f"SELECT {call}")
            assert refused.value.pgcode == "42501", (role, call)


def test_the_lists_of_children_and_weeks(synced, database_url):
    for start in ("2025-07-21", "2025-07-28", "2025-08-04"):
        insert(synced, child="민준", start=start)
    insert(synced, child="서연", start="2025-07-28")
    with as_role(database_url, user=U1) as cur:
        cur.execute("SELECT child_name, week_count, latest_week_start::TEXT FROM public.my_children()")
        assert cur.fetchall() == [("민준", 3, "2025-08-04"), ("서연", 1, "2025-07-28")]
        cur.execute("SELECT week_start_date::TEXT, week_period FROM public.child_weeks('민준')")
        assert cur.fetchall() == [("2025-08-04", "2025년 8월 4일 ~ 2025년 8월 10일"),
                                  ("2025-07-28", "2025년 7월 28일 ~ 2025년 8월 3일"),
                                  ("2025-07-21", "2025년 7월 21일 ~ 2025년 7월 27일")]
        cur.execute("SELECT count(*) FROM public.child_weeks('하윤')")
        assert cur.fetchone() == (0,)


@pytest.fixture
@starts_at(LEGACY_WRITABLE)
def seeded(db, migrate):
    """Head, 1,500 generated legacy rows backfilled and analyzed."""
    migrate("upgrade", LEGACY_WRITABLE)
    unschedule_drain(db)
    conn = psycopg2.connect(db.dsn)
    try:
        seed(conn, 1500, seed=3)
        conn.commit()
        backfill(conn, 1000, log=lambda line: None)
        conn.commit()
    finally:
        conn.close()
    with db.cursor() as cur:
        for table in READ_TABLES:
            cur.execute(f"ANALYZE {table}")
    return db


def test_the_reads_are_served_by_indexes(seeded, database_url):
    """The function's plans are not in its caller's EXPLAIN: its scans are counted instead."""
    user = scalar(seeded, "SELECT user_id::TEXT FROM weeks GROUP BY user_id ORDER BY count(*) DESC, 1 LIMIT 1")
    weeks = [(child, monday) for child, monday in seeded_weeks(seeded, user)]
    assert len(weeks) > 20
    sizes = {table: scalar(seeded, f"SELECT count(*) FROM {table}") for table in READ_TABLES}
    assert sizes["habit_records"] > 20_000

    def read_every_week(worker) -> None:
        with worker.cursor() as cur:
            cur.execute("SET LOCAL ROLE authenticated")
            cur.execute("SELECT set_config('request.jwt.claims', %s, true)", (json.dumps({"sub": user}),))
            for child, monday in weeks:
                cur.execute("SELECT public.week_as_legacy(%s, %s)", (child, monday))
                assert cur.fetchone()[0]["week_start_date"] == monday.isoformat()
            cur.execute("SELECT count(*) FROM public.my_children()")
            cur.execute("SELECT count(*) FROM public.child_weeks(%s)", (weeks[0][0],))
        worker.rollback()

    scans = scans_during(seeded, lambda: psycopg2.connect(database_url), read_every_week)
    # A table of a few pages is read whole, rightly (children: ~270 rows here); the others
    # must be reached through their indexes only.
    large = {table for table, rows in sizes.items() if rows >= SMALL_TABLE_ROWS}
    assert large == {"weeks", "habits", "habit_records"}
    assert {table: scans[table][0] for table in large} == dict.fromkeys(large, 0), scans
    assert all(idx > 0 for _, idx in scans.values()), scans


def seeded_weeks(db, user: str) -> list:
    with db.cursor() as cur:
        cur.execute("""SELECT c.name, w.week_start_date FROM weeks w JOIN children c ON c.id = w.child_id
                       WHERE w.user_id = %s ORDER BY 1, 2""", (user,))
        return cur.fetchall()


@pytest.mark.start_at("0031_read_as_legacy")
def test_the_downgrade_drops_the_four_and_nothing_else(database_url, db, migrate):
    count = "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::REGNAMESPACE"
    at = scalar(db, count)
    migrate("downgrade", "-1")
    assert scalar(db, count) == at - 4
    assert run_in_process("scripts.commands.read_parity", database_url=database_url).returncode == 2
