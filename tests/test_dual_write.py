"""The dual-write endpoint (#7): each operation writes both schemas in one transaction, exactly
as the mapping gives; a user reaches only their own weeks; a key has one effect; bad input
changes nothing and gets a JSON error."""
from __future__ import annotations

import json
import time
from contextlib import contextmanager
from datetime import date
import urllib.error
import urllib.request

import jwt
import psycopg2
import pytest
from starlette.testclient import TestClient

from helpers import LEGACY_WRITABLE, at_once, drain, drift, run_cli, scalar
from legacy_cases import U1, U2, habit
from scripts.commands.seed_legacy import week_label
from scripts.dual_write.app import PATH, create_app
from scripts.dual_write.local_server import free_port, running_endpoint
from scripts.dual_write.settings import ALLOWED_HEADERS, Settings

SECRET = "test-jwt-secret-of-at-least-thirty-two-bytes"
ORIGIN = "https://app.example"
MONDAY = "2025-07-21"
HABITS = [habit("독서", ["green", "", "red", "", "", "", ""]), habit("줄넘기", ["", "", "", "", "", "", ""], 1720000000000)]


def token(user=U1, expires_in=600, secret=SECRET, **claims) -> str:
    payload = {"sub": user, "aud": "authenticated", "role": "authenticated", "exp": int(time.time()) + expires_in}
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm="HS256")


def create(child="민준", start=MONDAY, habits=None, **extra) -> dict:
    data = {"child_name": child, "week_start_date": start, "habits": HABITS if habits is None else habits,
            "theme": "여름", "reflection": {"good": "잘함"}, "reward": "아이스크림"}
    data.update(extra)
    return {"operation": "create_week", "data": data}


def update(status="yellow", day=1, habit_name="독서", child="민준", start=MONDAY) -> dict:
    return {"operation": "update_habit_record", "data": {"child_name": child, "week_start_date": start,
                                                          "habit_name": habit_name, "day_index": day, "status": status}}


def delete(child="민준", start=MONDAY) -> dict:
    return {"operation": "delete_week", "data": {"child_name": child, "week_start_date": start}}


@contextmanager
def endpoint_client(database_url):
    """The endpoint in this process: call(body, user=, key=, **headers) posts one request."""
    app = create_app(Settings(database_url, SECRET, (ORIGIN,), pool_size=4))
    with TestClient(app) as client:
        counter = iter(range(1_000_000))

        def call(body, user=U1, key="auto", **headers):
            sent = {"Authorization": f"Bearer {token(user)}", "Origin": ORIGIN}
            if key is not None:
                sent["X-Idempotency-Key"] = f"key-{next(counter)}" if key == "auto" else key
            sent.update(headers)
            content = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=False)
            return client.post(PATH, content=content, headers={k: v for k, v in sent.items() if v is not None})

        call.client = client
        yield call


@pytest.fixture
def endpoint(synced, database_url):
    with endpoint_client(database_url) as call:
        yield call


def counts(db) -> dict:
    return {table: scalar(db, f"SELECT count(*) FROM {table}")
            for table in ("habit_tracker", "children", "weeks", "habits", "habit_records", "idempotency_log",
                          "migration.sync_queue", "migration.backfill_quarantine")}


def assert_no_drift(database_url):
    code, report = drift(database_url)
    assert code == 0, report["by_kind"]


# --- each operation, both schemas -----------------------------------------------------------

def test_create_week_writes_both_schemas_in_one_transaction(endpoint, db, database_url):
    response = endpoint(create(user_id=U2))  # a user id in the body is ignored
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["operation"] == "create_week" and body["habits"] == 2 and body["records"] == 2
    assert body["week_ids"] == [body["week_id"]]  # a Monday start: one week
    with db.cursor() as cur:
        cur.execute("SELECT child_name, week_period, week_start_date::TEXT, user_id::TEXT, theme, reward, reflection "
                    "FROM habit_tracker")
        assert cur.fetchall() == [("민준", "2025년 7월 21일 ~ 2025년 7월 27일", MONDAY, U1, "여름", "아이스크림",
                                   {"good": "잘함"})]
        cur.execute("SELECT w.id::TEXT, w.source_version, c.name, c.source_version FROM weeks w "
                    "JOIN children c ON c.id = w.child_id")
        assert cur.fetchall() == [(body["week_id"], "dual_write", "민준", "dual_write")]
        cur.execute("SELECT DISTINCT source_version FROM habits UNION SELECT DISTINCT source_version FROM habit_records")
        assert cur.fetchall() == [("dual_write",)]
    # Written by the endpoint itself: the trigger's skip switch queued nothing.
    assert counts(db)["migration.sync_queue"] == 0
    assert scalar(db, "SELECT status FROM idempotency_log WHERE user_id = %s", (U1,)) == "completed"
    assert_no_drift(database_url)


def test_update_habit_record_sets_and_clears_a_day(endpoint, db, database_url):
    endpoint(create())
    set_day = endpoint(update(status="yellow", day=1))
    assert set_day.status_code == 200, set_day.text
    assert set_day.json()["record_date"] == "2025-07-22" and set_day.json()["status"] == "yellow"
    assert scalar(db, "SELECT habits -> 0 -> 'times' ->> 1 FROM habit_tracker") == "yellow"
    assert scalar(db, "SELECT status FROM habit_records WHERE record_date = '2025-07-22'") == "yellow"
    cleared = endpoint(update(status="", day=0))
    assert cleared.status_code == 200 and cleared.json()["status"] == ""
    assert scalar(db, "SELECT count(*) FROM habit_records WHERE record_date = '2025-07-21'") == 0
    # A habit whose legacy times array is short gets the day at its own index.
    assert endpoint(update(status="green", day=6, habit_name="줄넘기")).status_code == 200
    assert scalar(db, "SELECT habits -> 1 -> 'times' ->> 6 FROM habit_tracker") == "green"
    assert counts(db)["migration.sync_queue"] == 0
    assert_no_drift(database_url)


def test_an_update_goes_to_the_clean_row_of_two_with_the_same_start(endpoint, db, database_url):
    """Two legacy rows of one child and start (their labels differ, as in the backup): the
    older is dirty (quarantined), the newer clean. The endpoint writes the clean one: the
    dirty one would be refused (422) for a value the request did not send."""
    rows = {}
    for label, status in (("older, dirty", "blue"), ("newer, clean", "green")):
        rows[label] = scalar(db, """INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id)
                                    VALUES ('민준', %s, %s, %s, %s) RETURNING id""",
                             (label, MONDAY, json.dumps([habit("독서", [status] + [""] * 6)]), U1))
    db.cursor().execute("SELECT migration.drain_sync_queue()")
    response = endpoint(update(status="red", day=2))
    assert response.status_code == 200, response.text
    assert response.json()["legacy_id"] == rows["newer, clean"]
    times = {label: scalar(db, "SELECT habits -> 0 -> 'times' FROM habit_tracker WHERE id = %s", (legacy_id,))
             for label, legacy_id in rows.items()}
    assert times == {"older, dirty": ["blue"] + [""] * 6, "newer, clean": ["green", "", "red", "", "", "", ""]}
    assert scalar(db, "SELECT reason FROM migration.backfill_quarantine WHERE legacy_id = %s",
                  (rows["older, dirty"],)) == "unknown_status"
    assert_no_drift(database_url)


def test_an_update_goes_to_the_row_holding_the_habit(endpoint, db):
    """Two rows with the same start merge into one week showing both rows' habits: an update
    of the newer row's habit is not 404 habit_not_found because the older row lacks it."""
    for label, name in (("older", "독서"), ("newer", "줄넘기")):
        db.cursor().execute("""INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id)
                               VALUES ('민준', %s, %s, %s, %s)""",
                            (label, MONDAY, json.dumps([habit(name, [""] * 7)]), U1))
    db.cursor().execute("SELECT migration.drain_sync_queue()")
    response = endpoint(update(status="green", day=0, habit_name="줄넘기"))
    assert response.status_code == 200, response.text
    assert scalar(db, "SELECT habits -> 0 -> 'times' ->> 0 FROM habit_tracker WHERE week_period = 'newer'") == "green"


def test_delete_week_removes_both_sides_and_the_emptied_child(endpoint, db, database_url):
    endpoint(create())
    endpoint(create(start="2025-07-28"))
    assert endpoint(delete()).status_code == 200
    assert counts(db)["weeks"] == 1 and counts(db)["children"] == 1
    assert endpoint(delete(start="2025-07-28")).json()["deleted"] is True
    assert {k: v for k, v in counts(db).items() if k != "idempotency_log"} == dict.fromkeys(
        ("habit_tracker", "children", "weeks", "habits", "habit_records", "migration.sync_queue",
         "migration.backfill_quarantine"), 0)
    assert_no_drift(database_url)


def test_verify_consistency_checks_only_the_callers_data(endpoint, db):
    endpoint(create())
    endpoint(create(child="하윤"), user=U2)
    clean = endpoint({"operation": "verify_consistency", "data": {}})
    assert clean.status_code == 200 and clean.json()["consistent"] is True
    assert clean.json()["checked"]["legacy_rows"] == 1
    db.cursor().execute("""DELETE FROM habit_records r USING habits h, weeks w
                           WHERE h.id = r.habit_id AND w.id = h.week_id AND w.user_id = %s
                             AND r.record_date = '2025-07-23'""", (U1,))  # U1's red day
    mine = endpoint({"operation": "verify_consistency"}).json()
    assert mine["consistent"] is False and [f["kind"] for f in mine["examples"]] == ["MISSING_RECORD"]
    assert endpoint({"operation": "verify_consistency"}, user=U2).json()["consistent"] is True


# --- a week of any start day, placed by date (0023) ------------------------------------------
# The endpoint accepts what the trigger path accepts and gives the same rows (#19, point 1).

NEXT_MONDAY, TUESDAY, SUNDAY = "2025-07-28", "2025-07-22", "2025-07-27"
# What a second database must not differ in: when things happened (and the row hash, which
# covers the legacy row's timestamps). The endpoint's idempotency log has no twin there.
VOLATILE = ["created_at", "updated_at", "placed_at", "recorded_at", "synced_at", "quarantined_at", "row_hash"]
COMPARED = ("habit_tracker", "children", "weeks", "habits", "habit_records", "migration.sync_state",
            "migration.placed_weeks", "migration.placement_conflicts", "migration.backfill_quarantine",
            "migration.sync_queue")


def contents(conn) -> dict:
    """Every row of the legacy table, the new tables and the sync's own state, timestamps aside."""
    with conn.cursor() as cur:
        found = {}
        for table in COMPARED:
            cur.execute(f"SELECT coalesce(jsonb_agg(x ORDER BY x::TEXT), '[]') "
                        f"FROM (SELECT to_jsonb(t) - %s::TEXT[] AS x FROM {table} AS t) AS r", (VOLATILE,))
            found[table] = cur.fetchone()[0]
        return found


def placed(db, child="민준") -> list[tuple]:
    """The child's weeks as the app will read them: (Monday, habit, order, date, status)."""
    with db.cursor() as cur:
        cur.execute("""SELECT w.week_start_date::TEXT, h.name, h.display_order, r.record_date::TEXT, r.status
                       FROM weeks w JOIN children c ON c.id = w.child_id
                       LEFT JOIN habits h ON h.week_id = w.id LEFT JOIN habit_records r ON r.habit_id = h.id
                       WHERE c.name = %s ORDER BY 1, 3, 4""", (child,))
        return cur.fetchall()


def conflicts(db) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute("""SELECT legacy_id, monday::TEXT, field, habit_name, record_date::TEXT, lost_value, kept_value,
                              kept_legacy_id
                       FROM migration.placement_conflicts ORDER BY legacy_id, field, record_date""")
        return cur.fetchall()


def week_id_of(db, monday, child="민준"):
    return scalar(db, "SELECT w.id::TEXT FROM weeks w JOIN children c ON c.id = w.child_id "
                      "WHERE c.name = %s AND w.week_start_date = %s", (child, monday))


def legacy_insert(conn, start, habits, theme="여름") -> int:
    """What the old app writes for create_week's data: the trigger queues it for the drain."""
    return scalar(conn, """INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id, theme,
                                                      reflection, reward)
                           VALUES ('민준', %s, %s, %s, %s, %s, %s, '아이스크림') RETURNING id""",
                  (week_label(date.fromisoformat(start)), start, json.dumps(habits, ensure_ascii=False), U1, theme,
                   json.dumps({"good": "잘함"}, ensure_ascii=False)))


@pytest.fixture
def twin(synced, templates):
    """A second database where the legacy table takes writes (as `synced`), with the test's users, for the trigger path's rows."""
    with templates.shared_database("dual_write_twin", LEGACY_WRITABLE) as url:
        conn = psycopg2.connect(url)
        conn.autocommit = True
        conn.cursor().execute("INSERT INTO auth.users (id) VALUES (%s), (%s)", (U1, U2))
        yield conn
        conn.close()


def test_the_endpoint_gives_the_rows_of_the_trigger_and_drain(endpoint, db, twin, database_url):
    """A Tuesday-start week created, its seventh day (next Monday) set, then deleted: through
    the endpoint in one database, as legacy writes through the trigger and the drain in the
    other, next to a Monday week of the same child. Every row of both schemas and of the
    sync's state is the same after each step, ids included."""
    monday_habits = [habit("독서", ["green", "", "", "", "", "", ""]), habit("줄넘기", ["", "yellow", "", "", "", "", ""], 2)]
    tuesday_habits = [habit("독서", ["red", "", "", "", "", "", ""]), habit("피아노", ["", "", "", "", "", "", ""], 2)]
    for conn in (db, twin):
        legacy_insert(conn, NEXT_MONDAY, monday_habits, theme="다음 주")
        drain(conn)
    assert contents(db) == contents(twin)

    created = endpoint(create(start=TUESDAY, habits=tuesday_habits))
    assert created.status_code == 201, created.text
    legacy_insert(twin, TUESDAY, tuesday_habits)
    drain(twin)
    assert contents(db) == contents(twin)

    assert endpoint(update(status="red", day=6, start=TUESDAY)).status_code == 200
    twin.cursor().execute("""UPDATE habit_tracker SET habits = jsonb_set(habits, '{0,times,6}', '"red"')
                             WHERE week_start_date = %s""", (TUESDAY,))
    drain(twin)
    assert contents(db) == contents(twin)

    assert endpoint(delete(start=TUESDAY)).status_code == 200
    twin.cursor().execute("DELETE FROM habit_tracker WHERE week_start_date = %s", (TUESDAY,))
    drain(twin)
    assert contents(db) == contents(twin)
    assert_no_drift(database_url)


def test_a_sunday_start_merges_into_the_childs_monday_week(endpoint, db, database_url):
    monday = endpoint(create(start=NEXT_MONDAY))
    assert monday.status_code == 201, monday.text
    sunday = endpoint(create(start=SUNDAY, theme="일요일", habits=[
        habit("독서", ["yellow", "", "", "", "green", "", ""]), habit("피아노", ["", "red", "", "", "", "", ""], 2)]))
    assert sunday.status_code == 201, sunday.text  # no 409: rows of one child-week merge
    body = sunday.json()
    # Its home week (six of its days) is the Monday row's, which keeps its id.
    home, before = week_id_of(db, NEXT_MONDAY), week_id_of(db, "2025-07-21")
    assert body["week_id"] == monday.json()["week_id"] == home
    assert home == scalar(db, "SELECT migration.week_id(%s)::TEXT", (monday.json()["legacy_id"],))
    assert body["week_ids"] == [before, home] and body["child_id"] == monday.json()["child_id"]
    assert (body["habits"], body["records"]) == (1 + 3, 1 + 4)  # of both weeks, merged
    assert placed(db) == [
        ("2025-07-21", "독서", 0, "2025-07-27", "yellow"),  # its Sunday: the week before, only the filled habit
        ("2025-07-28", "독서", 0, "2025-07-28", "green"),   # HABITS' Monday green ...
        ("2025-07-28", "독서", 0, "2025-07-30", "red"),     # ... and Wednesday red
        ("2025-07-28", "독서", 0, "2025-07-31", "green"),   # the Sunday row's Thursday (day 4)
        ("2025-07-28", "줄넘기", 1, None, None),
        ("2025-07-28", "피아노", 2, "2025-07-28", "red"),   # a new name: after the Monday row's habits
    ]
    # The week's fields are the Monday row's; the Sunday row's other theme is recorded.
    assert scalar(db, "SELECT theme FROM weeks WHERE id = %s", (home,)) == "여름"
    assert conflicts(db) == [(body["legacy_id"], NEXT_MONDAY, "theme", None, None, "일요일", "여름",
                              monday.json()["legacy_id"])]
    assert counts(db)["habit_tracker"] == 2 and counts(db)["migration.backfill_quarantine"] == 0
    assert_no_drift(database_url)


def test_create_week_answers_with_the_weeks_its_days_went_to(endpoint, db):
    endpoint(create(start=NEXT_MONDAY))
    body = endpoint(create(start=TUESDAY, habits=[habit("독서", ["red"] + [""] * 6)])).json()
    # Nothing on its seventh day (next Monday): the Monday row's week is not one of its weeks.
    assert body["week_ids"] == [body["week_id"]] == [week_id_of(db, "2025-07-21")]
    assert (body["habits"], body["records"]) == (1, 1)


def test_a_tuesday_starts_seventh_day_lands_in_the_next_monday_week(endpoint, db, database_url):
    monday = endpoint(create(start=NEXT_MONDAY)).json()
    tuesday = endpoint(create(start=TUESDAY, habits=[habit("독서", [""] * 7)])).json()
    response = endpoint(update(status="yellow", day=6, start=TUESDAY))
    assert response.status_code == 200, response.text
    # The day is next Monday: the Monday row's 독서 holds it (HABITS' Monday was green: the later write wins).
    monday_habit = scalar(db, "SELECT migration.habit_id(%s, 0)::TEXT", (monday["legacy_id"],))
    assert response.json() == {"operation": "update_habit_record", "legacy_id": tuesday["legacy_id"],
                               "habit_id": monday_habit, "record_date": NEXT_MONDAY, "status": "yellow"}
    assert scalar(db, "SELECT habits -> 0 -> 'times' ->> 6 FROM habit_tracker WHERE id = %s",
                  (tuesday["legacy_id"],)) == "yellow"
    assert scalar(db, "SELECT status FROM habit_records WHERE habit_id = %s AND record_date = %s",
                  (monday_habit, NEXT_MONDAY)) == "yellow"
    assert [row for row in placed(db) if row[0] == "2025-07-21"] == [("2025-07-21", "독서", 0, None, None)]
    assert scalar(db, "SELECT count(*) FROM weeks") == 2
    assert_no_drift(database_url)


def test_a_disagreeing_status_is_recorded_and_the_later_write_wins(endpoint, db, database_url):
    monday = endpoint(create(start=NEXT_MONDAY)).json()["legacy_id"]  # 독서 green on 07-28
    tuesday = endpoint(create(start=TUESDAY, habits=[habit("독서", [""] * 6 + ["red"])])).json()
    assert tuesday["week_ids"] == [week_id_of(db, "2025-07-21"), week_id_of(db, NEXT_MONDAY)]
    day = ("2025-07-28", "독서", 0, "2025-07-28")
    assert day + ("red",) in placed(db)
    assert conflicts(db) == [(monday, NEXT_MONDAY, "status", "독서", NEXT_MONDAY, "green", "red", tuesday["legacy_id"])]
    # The Monday row written again, later: it wins, and the Tuesday row's red is the one recorded.
    assert endpoint(update(status="yellow", day=0, start=NEXT_MONDAY)).json()["status"] == "yellow"
    assert day + ("yellow",) in placed(db) and day + ("red",) not in placed(db)
    assert conflicts(db) == [(tuesday["legacy_id"], NEXT_MONDAY, "status", "독서", NEXT_MONDAY, "red", "yellow",
                              monday)]
    assert_no_drift(database_url)


def test_deleting_a_row_of_a_merged_week_leaves_the_other_rows_days(endpoint, db, database_url):
    endpoint(create(start=NEXT_MONDAY))
    alone = placed(db)
    endpoint(create(start=SUNDAY, habits=[habit("독서", ["yellow", "red", "", "", "", "", ""]),
                                          habit("피아노", ["", "", "green", "", "", "", ""], 2)]))
    assert len(conflicts(db)) == 1  # its red on 07-28 won over the Monday row's green
    response = endpoint(delete(start=SUNDAY))
    assert response.status_code == 200 and response.json()["deleted"] is True
    assert placed(db) == alone  # the Monday row's week as it was, its green back; the week before gone
    assert conflicts(db) == [] and counts(db)["weeks"] == 1 and counts(db)["habit_tracker"] == 1
    assert_no_drift(database_url)


def test_repeated_habit_names_merge_into_one_habit(endpoint, db, database_url):
    """Accepted as the drain accepts them: one habit of the name; the days that agree are one
    record, a day they disagree on keeps the first one's status and records the other."""
    response = endpoint(create(child="서연", habits=[habit("독서", ["green", "red", "", "", "", "", ""]),
                                                      habit("독서", ["green", "yellow", "", "", "", "", "red"], 2)]))
    assert response.status_code == 201, response.text
    assert placed(db, "서연") == [(MONDAY, "독서", 0, "2025-07-21", "green"), (MONDAY, "독서", 0, "2025-07-22", "red"),
                                 (MONDAY, "독서", 0, "2025-07-27", "red")]
    legacy_id = response.json()["legacy_id"]
    assert conflicts(db) == [(legacy_id, MONDAY, "status", "독서", "2025-07-22", "yellow", "red", legacy_id)]
    assert_no_drift(database_url)


# --- a user acts only on their own data -----------------------------------------------------

def test_another_users_week_is_not_found_and_untouched(endpoint, db):
    endpoint(create())
    before = counts(db)
    for body in (update(), delete()):
        response = endpoint(body, user=U2)
        assert response.status_code == 404 and response.json()["error"]["code"] == "week_not_found"
    assert counts(db) == before
    assert scalar(db, "SELECT habits -> 0 -> 'times' ->> 1 FROM habit_tracker") == ""


def test_the_legacy_tables_global_child_week_unique_is_a_conflict(endpoint, db):
    """habit_tracker's unique (child_name, week_period) is global: another user's child of the
    same name cannot have the same week in the legacy table."""
    endpoint(create())
    before = counts(db)
    response = endpoint(create(), user=U2)
    assert response.status_code == 409 and response.json()["error"]["code"] == "week_exists"
    assert counts(db) == before


# --- exactly once ---------------------------------------------------------------------------

def test_a_retried_key_replays_the_same_response_with_one_effect(endpoint, db):
    first = endpoint(create(), key="retry-me")
    again = endpoint(create(), key="retry-me")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert counts(db)["habit_tracker"] == 1 and counts(db)["idempotency_log"] == 1


def test_the_same_key_with_another_body_is_refused(endpoint, db):
    endpoint(create(), key="k")
    before = counts(db)
    response = endpoint(create(child="서연"), key="k")
    assert response.status_code == 422 and response.json()["error"]["code"] == "idempotency_key_reused"
    assert counts(db) == before


def test_keys_are_per_user(endpoint, db):
    assert endpoint(create(), key="shared").status_code == 201
    other = endpoint(create(child="하윤"), user=U2, key="shared")
    assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers
    assert counts(db)["weeks"] == 2 and counts(db)["idempotency_log"] == 2


def test_an_expired_key_is_free_again(endpoint, db):
    endpoint(create())
    assert endpoint(update(status="red"), key="daily").status_code == 200
    endpoint(update(status="green"))
    db.cursor().execute("UPDATE idempotency_log SET expires_at = now() - INTERVAL '1 second' WHERE key = 'daily'")
    redo = endpoint(update(status="red"), key="daily")
    assert redo.status_code == 200 and "Idempotent-Replayed" not in redo.headers
    assert scalar(db, "SELECT habits -> 0 -> 'times' ->> 1 FROM habit_tracker") == "red"
    assert scalar(db, "SELECT count(*) FROM idempotency_log WHERE key = 'daily' AND expires_at > now()") == 1


# --- bad input: a JSON error, nothing changed -----------------------------------------------

# Creates are for another child than the fixture's week, so only the defect can refuse them.
BAD_REQUESTS = {
    "missing key": (dict(body=create(child="서연"), key=None), 400, "missing_idempotency_key", None),
    "no token": (dict(body=create(child="서연"), Authorization=None), 401, "unauthorized", None),
    "wrong signature": (dict(body=create(child="서연"), Authorization=f"Bearer {token(secret='x' * 40)}"), 401, "invalid_token", None),
    "expired token": (dict(body=create(child="서연"), Authorization=f"Bearer {token(expires_in=-10)}"), 401, "token_expired", None),
    "anon key (no sub)": (dict(body=create(child="서연"), Authorization=f"Bearer {token(user=None, role='anon')}"), 401,
                          "invalid_token", None),
    "unknown operation": (dict(body={"operation": "drop_everything", "data": {}}), 400, "unknown_operation", None),
    "not JSON": (dict(body=b"{operation"), 400, "invalid_json", None),
    "unreadable date": (dict(body=create(child="서연", start="21/07/2025")), 422, "invalid_data", "data.week_start_date"),
    "unknown status": (dict(body=create(child="서연", habits=[habit("독서", ["blue", "", "", "", "", "", ""])])), 422,
                       "invalid_data", "data.habits"),
    "child name too long": (dict(body=create(child="가" * 101)), 422, "invalid_data", "data.child_name"),
    "habit name too long": (dict(body=create(child="서연", habits=[habit("나" * 201, [""] * 7)])), 422, "invalid_data", "data.habits"),
    "habits not an array": (dict(body=create(child="서연", habits={"a": 1})), 422, "invalid_data", "data.habits"),
    "day outside the week": (dict(body=update(day=7)), 422, "invalid_data", "data.day_index"),
    "status unknown on update": (dict(body=update(status="blue")), 422, "invalid_data", "data.status"),
    "update of a week no row starts on": (dict(body=update(start="2025-07-23")), 404, "week_not_found", None),
    "delete of a week no row starts on": (dict(body=delete(start="2025-07-22")), 404, "week_not_found", None),
    "unknown habit": (dict(body=update(habit_name="피아노")), 404, "habit_not_found", None),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_bad_input_gets_a_json_error_and_changes_nothing(endpoint, db, case):
    endpoint(create())
    before = counts(db)
    kwargs, status, code, field = BAD_REQUESTS[case]
    kwargs = dict(kwargs)
    response = endpoint(kwargs.pop("body"), **kwargs)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error.get("field") == field and "Traceback" not in response.text
    assert counts(db) == before


def test_database_unavailable_is_503(database_url):
    app = create_app(Settings(f"postgresql://nobody@127.0.0.1:{free_port()}/nothing", SECRET, ("*",), pool_size=2))
    with TestClient(app) as client:
        response = client.post(PATH, json=create(), headers={"Authorization": f"Bearer {token()}",
                                                             "X-Idempotency-Key": "k"})
    assert response.status_code == 503 and response.json()["error"]["code"] == "database_unavailable"
    assert response.headers["access-control-allow-origin"] == "*"


def test_cors_preflight_allows_the_originals_headers_for_allowed_origins(endpoint):
    client = endpoint.client
    allowed = client.options(PATH, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert allowed.status_code == 200 and allowed.text == "ok"
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert allowed.headers["access-control-allow-headers"] == ALLOWED_HEADERS
    assert allowed.headers["access-control-allow-methods"] == "POST, OPTIONS"
    refused = client.options(PATH, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers


def test_serve_refuses_to_start_without_a_jwt_secret(database_url):
    result = run_cli("scripts.dual_write.serve", database_url=database_url, SUPABASE_JWT_SECRET="")
    assert result.returncode == 2 and result.stderr.strip() == (
        "serve: error: SUPABASE_JWT_SECRET is not set (Supabase signs user tokens with it, HS256)")


# --- 50 concurrent requests against a real uvicorn process ----------------------------------

@pytest.fixture
def served(synced, database_url):
    with running_endpoint(database_url, SECRET, pool_size=8) as url:
        yield url


def post(url, body, key, user=U1) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode(), method="POST", headers={
        "Authorization": f"Bearer {token(user)}", "X-Idempotency-Key": key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_fifty_concurrent_requests_with_one_key_have_one_effect(served, db, database_url):
    results = at_once(lambda n: post(served, create(), key="one-key"), 50)
    assert {status for status, _ in results} == {201}
    assert len({json.dumps(body, sort_keys=True) for _, body in results}) == 1
    assert counts(db)["habit_tracker"] == 1 and counts(db)["weeks"] == 1 and counts(db)["idempotency_log"] == 1
    # Fifty different keys for one week: one creates it, the others are told it exists.
    statuses = sorted(status for status, _ in at_once(lambda n: post(served, create(start="2025-07-28"), f"k{n}"), 50))
    assert statuses == [201] + [409] * 49
    assert counts(db)["weeks"] == 2
    assert_no_drift(database_url)


def test_seven_rows_of_one_child_week_created_at_once_merge(served, db, database_url):
    """A row for each start day of one week, all at once: each locks the child before it reads
    the child-week, so every one is placed with the others, whatever the order."""
    days = [f"2025-07-{21 + n}" for n in range(7)]
    results = at_once(lambda n: post(served, create(start=days[n], habits=[habit("독서", ["green"] + [""] * 6)]),
                                     f"day-{n}"), 7)
    assert [status for status, _ in results] == [201] * 7
    # Each first day is in the week of 07-21; the rows starting Friday to Sunday have their
    # home (four of their days) in the next week, with the habit and no filled day.
    assert placed(db) == [(MONDAY, "독서", 0, day, "green") for day in days] + [(NEXT_MONDAY, "독서", 0, None, None)]
    assert conflicts(db) == [] and counts(db)["habit_tracker"] == 7
    assert_no_drift(database_url)


@pytest.mark.parametrize("revision", ["0022_row_sync_locks_first", LEGACY_WRITABLE])
def test_the_endpoint_serves_a_database_before_and_after_0023(db, migrate, database_url, revision):
    """The service is deployed with this repository; the database may still be at 0022 (before
    `make upgrade`) or be rolled back there. Each connection prepares verify_consistency in the
    form its database's mapping needs (0010's per row, 0023's per child-week): a form made
    only for 0023 failed every request at 0022 with a 500."""
    migrate("upgrade", revision)
    db.cursor().execute("INSERT INTO auth.users (id) VALUES (%s)", (U1,))
    app = create_app(Settings(database_url, SECRET, (ORIGIN,), pool_size=1))
    with TestClient(app) as client:
        def call(operation, data, key):
            return client.post(PATH, content=json.dumps({"operation": operation, "data": data}, ensure_ascii=False),
                               headers={"Authorization": f"Bearer {token()}", "Origin": ORIGIN,
                                        "X-Idempotency-Key": key})
        created = call("create_week", {"child_name": "민준", "week_start_date": "2025-07-21",
                                       "habits": [habit("독서", ["green", "", "", "", "", "", ""])]}, "k1")
        assert created.status_code == 201, created.text
        checked = call("verify_consistency", {}, "k2")
        assert checked.status_code == 200, checked.text
        assert checked.json()["consistent"] is True
