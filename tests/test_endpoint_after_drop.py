"""The endpoint after the drop (#21 point 4, revision 0040_drop_legacy): migration.dual_write()
keeps its HTTP contract on the new tables alone through migration.endpoint_*, which use no
legacy object: weeks are named by (the user's child, its Monday), another start day is refused
naming the Monday, ids are the columns' defaults, existing rows keep their ids and provenance,
a create's habits are judged by the mapping's rules (the same reasons migration.row_problem()
gives at 0039), another user's week is not found. Every case runs after the legacy table and
the migration's other objects are gone."""
from __future__ import annotations

import json

import psycopg2
import pytest

from helpers import at_once, scalar, starts_at
from legacy_cases import U1, U2, habit
from scripts.db.legacy_table import DROP_REVISION
from test_dual_write import (  # noqa: F401 (endpoint, served: fixtures over this module's synced)
    MONDAY, NEXT_MONDAY, TUESDAY, create, delete, endpoint, placed, post, served, update,
)

RENAME = "0039_rename_legacy"
# Where these tests start: the drop, with everything it retired gone.
START = DROP_REVISION
NEW_FUNCTIONS = ("migration.endpoint_refuse(text,text,text)", "migration.endpoint_habits_problem(jsonb)",
                 "migration.endpoint_find_week(uuid,jsonb,boolean)", "migration.endpoint_create_week(uuid,jsonb)",
                 "migration.endpoint_update_habit_record(uuid,jsonb)", "migration.endpoint_delete_week(uuid,jsonb)")


@pytest.fixture
@starts_at(START)
def synced(db, migrate):
    """Overrides conftest's (test_dual_write's endpoint and served use it): at 0040, with the two
    test users."""
    migrate("upgrade", START)
    with db.cursor() as cur:
        cur.execute("INSERT INTO auth.users (id) VALUES (%s), (%s)", (U1, U2))
    return db


def rows(db) -> dict:
    """Every row of the four tables the endpoint writes, by table, timestamps aside."""
    found = {}
    with db.cursor() as cur:
        for table, columns in (("children", "id, user_id, name, source_version"),
                               ("weeks", "id, user_id, child_id, week_start_date::TEXT, week_end_date::TEXT, theme, "
                                         "reflection, reward, source_version"),
                               ("habits", "id, week_id, name, display_order, source_version"),
                               ("habit_records", "id, habit_id, record_date::TEXT, status, user_id, source_version")):
            cur.execute(f"SELECT {columns} FROM {table} ORDER BY 2, 3, 4")
            found[table] = cur.fetchall()
    return found


def error(response) -> tuple:
    body = response.json()["error"]
    return response.status_code, body["code"], body.get("field")


def test_the_drop_left_no_legacy_object_and_the_endpoint_functions_are_owner_only(synced, db):
    """Every case of this module runs without these (and, until 0040 exists, without any other
    function of schema migration but the endpoint's and the triggers')."""
    for relation in ("public.habit_tracker_old", "public.habit_tracker", "migration.live_legacy_rows",
                     "migration.frozen_rows", "migration.frozen_writes"):
        assert scalar(db, "SELECT to_regclass(%s)", (relation,)) is None, relation
    assert scalar(db, """SELECT count(*) FROM pg_proc WHERE pronamespace = 'migration'::REGNAMESPACE
                         AND proname IN ('frozen_create_week', 'frozen_update_habit_record', 'frozen_delete_week',
                                         'frozen_find_week', 'frozen_week', 'frozen_habit', 'frozen_set_day',
                                         'frozen_refuse', 'row_problem', 'local_problem')""") == 0
    for function in (*NEW_FUNCTIONS, "migration.dual_write(uuid,text,text,jsonb)"):
        with db.cursor() as cur:
            cur.execute("""SELECT pg_get_userbyid(p.proowner), p.prosecdef, l.lanname, p.proacl::TEXT
                           FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang
                           WHERE p.oid = to_regprocedure(%s)""", (function,))
            owner, definer, language, acl = cur.fetchone()
        assert (owner, definer, language) == ("postgres", False, "plpgsql"), function
        assert acl == "{postgres=X/postgres}", (function, acl)  # no EXECUTE for PUBLIC or an API role
        for role in ("anon", "authenticated", "service_role"):
            assert scalar(db, "SELECT has_function_privilege(%s, %s, 'EXECUTE')", (role, function)) is False


def test_the_foreign_keys_a_deleted_week_relies_on_cascade(synced, db):
    with db.cursor() as cur:
        cur.execute("""SELECT conname, confdeltype FROM pg_constraint
                       WHERE conname IN ('fk_habits_week_id', 'fk_habit_records_habit_id', 'fk_weeks_child_id')
                       ORDER BY 1""")
        assert cur.fetchall() == [("fk_habit_records_habit_id", "c"), ("fk_habits_week_id", "c"),
                                  ("fk_weeks_child_id", "c")]


# --- create_week ----------------------------------------------------------------------------

def test_create_week_writes_the_new_tables_with_default_ids_and_new_schema(endpoint, db):
    response = endpoint(create(habits=[habit("독서", ["green", "", "red", None, "", "", "none"]),
                                       habit("줄넘기", [""] * 7, 2)]))
    assert response.status_code == 201, response.text
    assert "Idempotent-Replayed" not in response.headers
    body = response.json()
    found = rows(db)
    [child], [week] = found["children"], found["weeks"]
    assert child[1:] == (U1, "민준", "new_schema")
    assert week[1:] == (U1, child[0], MONDAY, "2025-07-27", "여름", {"good": "잘함"}, "아이스크림", "new_schema")
    assert body == {"operation": "create_week", "legacy_id": None, "week_id": week[0], "week_ids": [week[0]],
                    "child_id": child[0], "habits": 2, "records": 3}
    assert [h[1:] for h in found["habits"]] == [(week[0], "독서", 0, "new_schema"), (week[0], "줄넘기", 1, "new_schema")]
    reading = found["habits"][0][0]
    assert [r[1:] for r in found["habit_records"]] == [
        (reading, "2025-07-21", "green", U1, "new_schema"), (reading, "2025-07-23", "red", U1, "new_schema"),
        (reading, "2025-07-27", "none", U1, "new_schema")]
    # Ids from gen_random_uuid(): none is the mapping's md5-derived id of this child or week.
    assert scalar(db, "SELECT count(*) FROM idempotency_log WHERE status = 'completed'") == 1


def test_repeated_habit_names_merge_the_first_position_wins(endpoint, db):
    response = endpoint(create(habits=[habit("독서", ["", "red", "", "", "", "", ""]),
                                       habit("피아노", ["green"] + [""] * 6, 2),
                                       habit("독서", ["yellow", "green", "", "", "", "", ""], 3),
                                       habit("수영", [""] * 7, 4)]))
    assert response.status_code == 201, response.text
    assert response.json()["habits"] == 3 and response.json()["records"] == 3
    # 독서's day 2 from its first occurrence, its day 1 from the second (the first had none);
    # display_order is the place among the habits kept.
    assert placed(db) == [(MONDAY, "독서", 0, "2025-07-21", "yellow"), (MONDAY, "독서", 0, "2025-07-22", "red"),
                          (MONDAY, "피아노", 1, "2025-07-21", "green"), (MONDAY, "수영", 2, None, None)]


def test_a_second_create_of_the_week_is_409_and_changes_nothing(endpoint, db):
    assert endpoint(create()).status_code == 201
    before = rows(db)
    again = endpoint(create(theme="다른", habits=[habit("수영", ["red"] + [""] * 6)]))
    assert error(again) == (409, "week_exists", None)
    assert rows(db) == before
    # Another Monday of the same child: the child is reused, the week is new.
    other = endpoint(create(start=NEXT_MONDAY))
    assert other.status_code == 201 and other.json()["child_id"] == before["children"][0][0]
    assert len(rows(db)["weeks"]) == 2


def test_a_week_is_the_users_own_child_another_user_may_have_one_of_the_same_name(endpoint, db):
    """The legacy table's global unique (child_name, week_period) went with it: names are per user."""
    assert endpoint(create()).status_code == 201
    theirs = endpoint(create(), user=U2)
    assert theirs.status_code == 201, theirs.text
    assert scalar(db, "SELECT count(DISTINCT child_id) FROM weeks WHERE week_start_date = %s", (MONDAY,)) == 2


def test_concurrent_creates_of_one_week_have_one_effect(served, db):
    """Writes of one user's child are serialized: of twenty keys one creates the week, the others
    are told it exists (not a unique violation's 409 conflict); twenty of one key replay one answer."""
    results = at_once(lambda n: post(served, create(), f"k{n}"), 20)
    assert sorted(status for status, _ in results) == [201] + [409] * 19
    assert sorted(body["error"]["code"] for status, body in results if status == 409) == ["week_exists"] * 19
    results = at_once(lambda n: post(served, create(start=NEXT_MONDAY), "one-key"), 20)
    assert {status for status, _ in results} == {201}
    assert len({json.dumps(body, sort_keys=True) for _, body in results}) == 1
    assert scalar(db, "SELECT count(*) FROM weeks") == 2 and scalar(db, "SELECT count(*) FROM children") == 1


def test_a_replayed_key_answers_the_same_with_one_effect_and_another_body_is_refused(endpoint, db):
    first = endpoint(create(), key="k1")
    before = rows(db)
    again = endpoint(create(), key="k1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert rows(db) == before
    reused = endpoint(create(start=NEXT_MONDAY), key="k1")
    assert error(reused) == (422, "idempotency_key_reused", "X-Idempotency-Key")
    assert rows(db) == before
    set_day = endpoint(update(status="red", day=3), key="k2")
    assert endpoint(update(status="red", day=3), key="k2").json() == set_day.json()
    assert scalar(db, "SELECT count(*) FROM idempotency_log") == 2


# --- the week's Monday ----------------------------------------------------------------------

@pytest.mark.parametrize("start, monday", [(TUESDAY, MONDAY), ("2025-08-03", NEXT_MONDAY)])
@pytest.mark.parametrize("operation", ["create", "update", "delete"])
def test_a_start_that_is_not_a_monday_is_refused_naming_the_monday(endpoint, db, operation, start, monday):
    assert endpoint(create()).status_code == 201
    assert endpoint(create(start=NEXT_MONDAY)).status_code == 201
    before = rows(db)
    body = {"create": create(start=start), "update": update(start=start, day=0), "delete": delete(start=start)}
    response = endpoint(body[operation])
    assert error(response) == (422, "invalid_data", "data.week_start_date")
    assert response.json()["error"]["message"] == (
        f"not_monday: week_start_date {start} is not a Monday; weeks start on Monday: "
        f"the week holding {start} starts on {monday}")
    assert rows(db) == before


# --- update_habit_record --------------------------------------------------------------------

def test_update_sets_changes_and_clears_a_day(endpoint, db):
    assert endpoint(create()).status_code == 201
    reading = scalar(db, "SELECT id::TEXT FROM habits WHERE name = '독서'")
    set_day = endpoint(update(status="yellow", day=1))
    assert set_day.status_code == 200, set_day.text
    assert set_day.json() == {"operation": "update_habit_record", "legacy_id": None, "habit_id": reading,
                              "record_date": "2025-07-22", "status": "yellow"}
    record = scalar(db, "SELECT id::TEXT FROM habit_records WHERE record_date = '2025-07-22'")
    assert endpoint(update(status="red", day=1)).json()["status"] == "red"
    assert scalar(db, "SELECT id::TEXT FROM habit_records WHERE record_date = '2025-07-22' AND status = 'red'") == record
    cleared = endpoint(update(status="", day=0))
    assert cleared.status_code == 200 and cleared.json()["status"] == "" and cleared.json()["record_date"] == MONDAY
    assert endpoint(update(status="none", day=6, habit_name="줄넘기")).json()["record_date"] == "2025-07-27"
    assert placed(db) == [(MONDAY, "독서", 0, "2025-07-22", "red"), (MONDAY, "독서", 0, "2025-07-23", "red"),
                          (MONDAY, "줄넘기", 1, "2025-07-27", "none")]
    assert scalar(db, "SELECT count(*) FROM habit_records WHERE user_id = %s", (U1,)) == 3


def test_an_unknown_status_is_422_on_data_status_and_changes_nothing(endpoint, db):
    assert endpoint(create()).status_code == 201
    before = rows(db)
    response = endpoint(update(status="blue", day=1, habit_name="줄넘기"))
    assert error(response) == (422, "invalid_data", "data.status")
    assert response.json()["error"]["message"] == 'unknown_status: habit 1 holds "blue"'
    assert rows(db) == before


def test_a_missing_week_or_habit_is_404(endpoint, db):
    assert error(endpoint(update())) == (404, "week_not_found", None)  # no such child
    assert endpoint(create()).status_code == 201
    before = rows(db)
    assert error(endpoint(update(start=NEXT_MONDAY))) == (404, "week_not_found", None)  # no such week
    assert error(endpoint(update(child="서연"))) == (404, "week_not_found", None)
    missing = endpoint(update(habit_name="수영"))
    assert error(missing) == (404, "habit_not_found", None)
    assert missing.json()["error"]["message"] == "the week has no habit named '수영'"
    assert rows(db) == before


def test_a_week_the_mapping_placed_keeps_its_ids_and_provenance(endpoint, db):
    """Rows the backfill wrote (source_version 'migration', the mapping's ids): an update changes
    a status, not the record's id or source_version; a new day's record is 'new_schema'."""
    ids = {"child": "c0000000-0000-0000-0000-000000000001", "week": "c0000000-0000-0000-0000-000000000002",
           "habit": "c0000000-0000-0000-0000-000000000003", "record": "c0000000-0000-0000-0000-000000000004"}
    with db.cursor() as cur:
        cur.execute("INSERT INTO children (id, user_id, name, source_version) VALUES (%(child)s, %(u)s, '민준', "
                    "'migration')", {**ids, "u": U1})
        cur.execute("INSERT INTO weeks (id, user_id, child_id, week_start_date, week_end_date, theme, source_version) "
                    "VALUES (%(week)s, %(u)s, %(child)s, %(m)s, %(m)s::DATE + 6, '옛날', 'migration')",
                    {**ids, "u": U1, "m": MONDAY})
        cur.execute("INSERT INTO habits (id, week_id, name, display_order, source_version) "
                    "VALUES (%(habit)s, %(week)s, '독서', 0, 'migration')", ids)
        cur.execute("INSERT INTO habit_records (id, habit_id, record_date, status, source_version) "
                    "VALUES (%(record)s, %(habit)s, %(m)s, 'green', 'migration')", {**ids, "m": MONDAY})
    changed = endpoint(update(status="red", day=0))
    assert changed.json()["habit_id"] == ids["habit"]
    assert endpoint(update(status="yellow", day=4)).status_code == 200
    found = rows(db)
    assert found["children"] == [(ids["child"], U1, "민준", "migration")]
    assert [w[0::8] for w in found["weeks"]] == [(ids["week"], "migration")]
    assert found["habits"] == [(ids["habit"], ids["week"], "독서", 0, "migration")]
    assert found["habit_records"][0] == (ids["record"], ids["habit"], MONDAY, "red", U1, "migration")
    assert found["habit_records"][1][1:] == (ids["habit"], "2025-07-25", "yellow", U1, "new_schema")
    assert error(endpoint(create())) == (409, "week_exists", None)
    # A new week of that child: the child keeps its id and provenance.
    assert endpoint(create(start=NEXT_MONDAY)).json()["child_id"] == ids["child"]
    assert rows(db)["children"] == [(ids["child"], U1, "민준", "migration")]


# --- delete_week ----------------------------------------------------------------------------

def test_delete_week_removes_the_week_its_habits_and_records_then_404(endpoint, db):
    assert endpoint(create()).status_code == 201
    kept = endpoint(create(start=NEXT_MONDAY)).json()["week_id"]
    deleted = endpoint(delete())
    assert deleted.status_code == 200 and deleted.json() == {"operation": "delete_week", "legacy_id": None,
                                                             "deleted": True}
    found = rows(db)
    assert [w[0] for w in found["weeks"]] == [kept]
    assert {h[1] for h in found["habits"]} == {kept} and len(found["habits"]) == 2
    assert {r[2] for r in found["habit_records"]} == {"2025-07-28", "2025-07-30"}
    assert error(endpoint(delete())) == (404, "week_not_found", None)
    assert error(endpoint(update())) == (404, "week_not_found", None)
    # The child's last week: the child goes too.
    assert endpoint(delete(start=NEXT_MONDAY)).status_code == 200
    assert rows(db) == {"children": [], "weeks": [], "habits": [], "habit_records": []}


def test_a_child_a_habit_template_names_stays_when_its_last_week_goes(endpoint, db):
    child = endpoint(create()).json()["child_id"]
    db.cursor().execute("INSERT INTO habit_templates (user_id, child_id, name) VALUES (%s, %s, '아침')", (U1, child))
    assert endpoint(delete()).status_code == 200
    assert [c[0] for c in rows(db)["children"]] == [child]
    assert scalar(db, "SELECT count(*) FROM habit_templates") == 1


def test_another_user_can_neither_update_nor_delete_my_week(endpoint, db):
    assert endpoint(create()).status_code == 201
    before = rows(db)
    assert error(endpoint(update(), user=U2)) == (404, "week_not_found", None)
    assert error(endpoint(delete(), user=U2)) == (404, "week_not_found", None)
    assert rows(db) == before


# --- a create's habits, judged as the mapping judged a legacy row ---------------------------

# (habits, reason, detail): what migration.row_problem() says at 0039 of a row holding them
# (test_these_are_row_problems_answers_at_0039 proves it), and what the endpoint answers now.
LONG_NAME = "가" * 201
HABIT_CASES = [
    ([1], "bad_habit", "habit 0 has no text name"),
    ([{"name": "ok", "times": []}, {"name": 5, "times": []}], "bad_habit", "habit 1 has no text name"),
    ([{"times": ["green"]}], "bad_habit", "habit 0 has no text name"),
    ([{"name": ""}], "bad_habit_name", "habit 0 name is empty or over 200 characters"),
    ([{"name": "a", "times": ["blue"]}, {"name": LONG_NAME}], "bad_habit_name",
     "habit 1 name is empty or over 200 characters"),
    ([{"name": "a", "times": "green"}], "times_not_array", "habit 0 times is not an array"),
    ([{"name": "a", "times": {"0": "green"}}], "times_not_array", "habit 0 times is not an array"),
    ([{"name": "a", "times": [""] * 7 + ["green"]}], "times_too_long", "habit 0 has a non-empty day past Sunday"),
    ([{"name": "a", "times": ["blue"] + [""] * 6 + ["red"]}], "times_too_long",
     "habit 0 has a non-empty day past Sunday"),
    ([{"name": "a", "times": ["blue"]}], "unknown_status", 'habit 0 holds "blue"'),
    ([{"name": "a", "times": ["", 1]}], "unknown_status", "habit 0 holds 1"),
    ([{"name": "a", "times": ["zz"]}, {"name": "b", "times": ["aa"]}], "unknown_status", 'habit 0 holds "aa"'),
]
# Not an array: the service refuses it before the database (400-shaped 422 of requests.py); the
# function says what the mapping said.
NOT_ARRAYS = [({"name": "a"}, "habits_not_array", "habits is a JSON object"),
              ("green", "habits_not_array", "habits is a JSON string")]
VALID = [[], [{"name": "a", "times": [""] * 7 + ["", None]}], [{"name": "a"}], [{"name": "a", "times": None}],
         [{"name": "a", "times": ["green", None, "none", "", "red", "yellow", ""]}]]


@pytest.mark.parametrize("habits, reason, detail", HABIT_CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(HABIT_CASES)])
def test_each_invalid_habits_shape_is_422_with_the_mappings_reason(endpoint, db, habits, reason, detail):
    response = endpoint(create(habits=habits))
    assert error(response) == (422, "invalid_data", "data.habits")
    assert response.json()["error"]["message"] == f"{reason}: {detail}"
    assert rows(db) == {"children": [], "weeks": [], "habits": [], "habit_records": []}
    assert scalar(db, "SELECT count(*) FROM idempotency_log") == 0


@pytest.mark.parametrize("habits, reason, detail", HABIT_CASES + NOT_ARRAYS)
def test_the_habits_problem_function_gives_the_reason_and_detail(synced, db, habits, reason, detail):
    with db.cursor() as cur:
        cur.execute("SELECT reason, detail FROM migration.endpoint_habits_problem(%s::JSONB)",
                    (json.dumps(habits, ensure_ascii=False),))
        assert cur.fetchall() == [(reason, detail)]


@pytest.mark.parametrize("habits", VALID)
def test_valid_habits_have_no_problem_and_are_created(endpoint, db, habits):
    assert scalar(db, "SELECT count(*) FROM migration.endpoint_habits_problem(%s::JSONB)", (json.dumps(habits),)) == 0
    assert endpoint(create(habits=habits)).status_code == 201


@pytest.mark.parametrize("child, length", [("", 0), ("가" * 101, 101)])
def test_a_child_name_the_mapping_refuses_is_422_on_data_child_name(endpoint, db, child, length):
    response = endpoint(create(child=child))
    assert error(response) == (422, "invalid_data", "data.child_name")
    assert response.json()["error"]["message"] == f"bad_child_name: child_name has {length} characters"
    assert rows(db)["children"] == []


@pytest.mark.start_at(RENAME)
def test_these_are_row_problems_answers_at_0039(db, migrate):
    """The expectations above are migration.row_problem()'s at 0039 (the last revision with it),
    for a legacy row holding those habits or that child name."""
    migrate("upgrade", RENAME)
    row = """SELECT p.reason, p.detail FROM migration.row_problem(jsonb_populate_record(NULL::public.habit_tracker_old,
                 jsonb_build_object('child_name', %s::TEXT, 'week_period', 'x', 'week_start_date', %s::DATE,
                                    'habits', %s::JSONB, 'user_id', %s::UUID))) AS p"""
    with db.cursor() as cur:
        for habits, reason, detail in HABIT_CASES + NOT_ARRAYS:
            cur.execute(row, ("민준", MONDAY, json.dumps(habits, ensure_ascii=False), U1))
            assert cur.fetchall() == [(reason, detail)], habits
        for habits in VALID:
            cur.execute(row, ("민준", MONDAY, json.dumps(habits), U1))
            assert cur.fetchall() == [], habits
        for child, length in (("", 0), ("가" * 101, 101)):
            cur.execute(row, (child, MONDAY, "[]", U1))
            assert cur.fetchall() == [("bad_child_name", f"child_name has {length} characters")]


def test_the_dispatch_still_refuses_an_unknown_operation(synced, db):
    with pytest.raises(psycopg2.Error) as refused:
        db.cursor().execute("SELECT migration.dual_write(%s, 'k', 'rename_week', '{}')", (U1,))
    assert refused.value.pgcode == "PT400" and refused.value.diag.message_detail == "unknown_operation"
    assert scalar(db, "SELECT count(*) FROM idempotency_log") == 0
