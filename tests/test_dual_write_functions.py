"""Revision 0018: the endpoint's write is one call of migration.dual_write().

The endpoint's behaviour is tests/test_dual_write.py's (it runs at head, through this
function). Here: the function called directly, as its only caller (the owner) would; who
may not call it; the legacy week label it writes; keys stored before 0018 replaying; and an
endpoint that meets a database without it."""
from __future__ import annotations

import json
from datetime import date, timedelta

import psycopg2
import pytest
from starlette.testclient import TestClient

from helpers import scalar
from legacy_cases import U1, U2
from scripts.dual_write.app import PATH, create_app
from scripts.dual_write.settings import Settings
from scripts.commands.seed_legacy import week_label
from test_dual_write import SECRET, counts, create, token, update

CALL = "SELECT migration.dual_write(%s, %s, %s, %s)"


def written(db) -> tuple[dict, str]:
    """Every table's row count, and the legacy habits themselves."""
    return counts(db), scalar(db, "SELECT string_agg(habits::TEXT, ';' ORDER BY id) FROM habit_tracker")


def call(db, key: str, body: dict, user: str = U1) -> dict:
    with db.cursor() as cur:
        cur.execute(CALL, (user, key, body["operation"], json.dumps(body["data"], ensure_ascii=False)))
        return cur.fetchone()[0]


def refusal(db, key: str, body: dict, user: str = U1) -> tuple[str, str, str | None]:
    """(SQLSTATE, DETAIL, HINT) of the refused call; the statement is rolled back whole."""
    with pytest.raises(psycopg2.Error) as raised:
        call(db, key, body, user)
    diag = raised.value.diag
    return raised.value.pgcode, diag.message_detail, diag.message_hint


def test_a_call_is_the_whole_write_and_a_second_call_replays_it(synced):
    synced.autocommit = False
    created = call(synced, "k1", create())
    # The skip switch is the function's own (a SET clause): the caller's transaction does not
    # keep it after the call, and nothing was queued for the trigger's drain.
    assert scalar(synced, "SELECT current_setting('migration.skip_sync_trigger', TRUE)") in (None, "")
    synced.commit()
    synced.autocommit = True
    assert scalar(synced, "SELECT count(*) FROM migration.sync_queue") == 0
    assert created["status"] == 201 and created["replayed"] is False
    assert created["body"]["habits"] == 2 and created["body"]["records"] == 2
    assert scalar(synced, "SELECT count(*) FROM weeks WHERE source_version = 'dual_write'") == 1
    again = call(synced, "k1", create())
    assert again == {**created, "replayed": True}
    assert scalar(synced, "SELECT count(*) FROM habit_tracker") == 1


@pytest.mark.parametrize("body, expected", [
    (update(child="없는 아이"), ("PT404", "week_not_found", None)),
    (update(habit_name="피아노"), ("PT404", "habit_not_found", None)),
    (update(start="2025-07-22"), ("PT404", "week_not_found", None)),  # any start day, but no row starts on it
    (update(status="blue"), ("PT422", "invalid_data", "data.status")),
    (create(), ("PT409", "week_exists", None)),
    ({"operation": "verify_consistency", "data": {}}, ("PT400", "unknown_operation", None)),
])
def test_refusals_use_postgrests_status_codes_and_change_nothing(synced, body, expected):
    call(synced, "first", create())
    before = written(synced)
    assert refusal(synced, "second", body) == expected
    assert refusal(synced, "second", body) == expected  # the key was not kept by the refused call
    assert written(synced) == before


def test_another_users_week_is_not_found(synced):
    call(synced, "mine", create())
    assert refusal(synced, "theirs", update(), user=U2)[:2] == ("PT404", "week_not_found")


def test_a_key_stored_before_0018_replays(synced):
    """The Python endpoint stored {"operation", "data"} and {"status", "body"}: the same shapes."""
    body = update(status="red")
    stored = {"status": 200, "body": {"operation": "update_habit_record", "legacy_id": 7, "status": "red"}}
    synced.cursor().execute(
        """INSERT INTO idempotency_log (user_id, key, operation, request_data, response_data, status)
           VALUES (%s, 'old-key', 'update_habit_record', %s, %s, 'completed')""",
        (U1, json.dumps(body, ensure_ascii=False, sort_keys=True), json.dumps(stored)))
    assert call(synced, "old-key", body) == {**stored, "replayed": True}
    assert refusal(synced, "old-key", update(status="green"))[:2] == ("PT422", "idempotency_key_reused")


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_only_the_owner_may_call_it(synced, role):
    assert scalar(synced, "SELECT has_function_privilege(%s, 'migration.dual_write(UUID, TEXT, TEXT, JSONB)', 'EXECUTE')",
                  (role,)) is False
    synced.autocommit = False
    with synced.cursor() as cur:
        cur.execute(f"SET LOCAL ROLE {role}")
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(CALL, (U1, "k", "create_week", json.dumps(create()["data"])))
    synced.rollback()
    synced.autocommit = True
    assert scalar(synced, "SELECT count(*) FROM habit_tracker") == 0


def test_the_week_label_is_the_apps(synced):
    mondays = [date(2024, 1, 1) + timedelta(weeks=n) for n in range(120)]  # across month and year ends
    with synced.cursor() as cur:
        cur.execute("SELECT migration.week_label(d) FROM unnest(%s::DATE[]) AS d", (mondays,))
        assert [row[0] for row in cur.fetchall()] == [week_label(monday) for monday in mondays]


def test_an_endpoint_on_a_database_without_the_function_answers_503(synced, migrate, database_url):
    migrate("downgrade", "0017_row_sync_generic_plans")
    app = create_app(Settings(database_url, SECRET, ("*",), pool_size=2))
    with TestClient(app) as client:
        response = client.post(PATH, json=create(), headers={"Authorization": f"Bearer {token()}",
                                                             "X-Idempotency-Key": "k"})
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "database_not_ready"
    assert "0018_dual_write_functions" in response.json()["error"]["message"]
    assert scalar(synced, "SELECT count(*) FROM habit_tracker") == 0
