"""The runbook's three rollback scenarios (docs/RUNBOOK.md, from WEEK2_PLAN's rollback plan),
each run with the commands the runbook gives, against a real endpoint process:

1. Endpoint off: the app writes habit_tracker directly; the trigger's queue and the drain keep
   the new schema in step. Nothing is lost.
2. Stop dual-write (excessive drift): endpoint off and `make sync-trigger MODE=off`; the new
   schema stops receiving writes, drift names exactly the rows written meanwhile, and
   `make sync-trigger MODE=on` + `make resync` bring it back in step.
3. Trigger off, endpoint only: the endpoint still writes both schemas itself; a write that
   bypasses it is not synced (no backup) until the trigger is on again and `make resync` runs.
"""
from __future__ import annotations

import json

import pytest

from helpers import drift, run_cli, scalar
from legacy_cases import U1, habit
from scripts.dual_write.client import Client, user_token
from scripts.dual_write.local_server import running_endpoint

SECRET = "rollback-test-secret-of-at-least-32-bytes"
MONDAY, NEXT_MONDAY = "2025-07-21", "2025-07-28"
HABITS = [habit("독서", ["green", "", "", "", "", "", ""])]


def create_data(start=MONDAY) -> dict:
    return {"child_name": "민준", "week_start_date": start, "habits": HABITS, "theme": "여름"}


def call(url: str, operation: str, data: dict, key: str) -> tuple[int, dict]:
    client = Client(url, user_token(U1, SECRET))
    try:
        return client.call(operation, data, key)
    finally:
        client.close()


def legacy_day_update(db, start: str, status: str) -> int:
    """The app's write without the endpoint: one day of the week's first habit, on habit_tracker."""
    with db.cursor() as cur:
        cur.execute("""UPDATE habit_tracker SET habits = jsonb_set(habits, '{0,times,1}', to_jsonb(%s::TEXT))
                       WHERE user_id = %s AND week_start_date = %s RETURNING id""", (status, U1, start))
        return cur.fetchone()[0]


def legacy_insert(db, start: str) -> int:
    with db.cursor() as cur:
        cur.execute("""INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id)
                       VALUES ('민준', %s, %s, %s, %s) RETURNING id""",
                    (f"week of {start}", start, json.dumps(HABITS, ensure_ascii=False), U1))
        return cur.fetchone()[0]


def record_status(db, start: str, day: int) -> str | None:
    with db.cursor() as cur:
        cur.execute("""SELECT r.status FROM habit_records r JOIN habits h ON h.id = r.habit_id
                       JOIN weeks w ON w.id = h.week_id
                       WHERE w.week_start_date = %s AND r.record_date = w.week_start_date + %s""", (start, day))
        row = cur.fetchone()
    return row[0] if row else None


def switch(database_url, mode: str) -> None:
    result = run_cli("scripts.commands.sync_trigger", mode, database_url=database_url)
    assert result.returncode == 0 and result.stdout.startswith(f"dual-write sync trigger: {mode}"), result.stderr


def drift_findings(database_url) -> tuple[int, set]:
    code, report = drift(database_url)
    return code, {(f["kind"], f["legacy_id"]) for f in report["examples"]}


def test_scenario_1_endpoint_off_the_trigger_keeps_the_new_schema_in_step(synced, database_url):
    with running_endpoint(database_url, SECRET) as url:
        assert call(url, "create_week", create_data(), "week-1")[0] == 201
    with pytest.raises(ConnectionRefusedError):  # the endpoint is off
        call(url, "update_habit_record", {}, "refused")

    updated = legacy_day_update(synced, MONDAY, "red")
    inserted = legacy_insert(synced, NEXT_MONDAY)
    assert scalar(synced, "SELECT count(*) FROM migration.sync_queue") == 2
    drain = run_cli("scripts.commands.sync_queue", "drain", database_url=database_url)
    assert drain.returncode == 0, drain.stderr

    assert record_status(synced, MONDAY, 1) == "red"
    assert scalar(synced, "SELECT source_version FROM weeks WHERE id = migration.week_id(%s)", (inserted,)) == "dual_write"
    assert scalar(synced, "SELECT count(*) FROM weeks WHERE id IN (migration.week_id(%s), migration.week_id(%s))",
                  (updated, inserted)) == 2
    assert drift_findings(database_url) == (0, set())


def test_scenario_2_stop_dual_write_then_resync(synced, database_url):
    with running_endpoint(database_url, SECRET) as url:
        assert call(url, "create_week", create_data(), "week-1")[0] == 201
    switch(database_url, "off")

    updated = legacy_day_update(synced, MONDAY, "red")
    inserted = legacy_insert(synced, NEXT_MONDAY)
    # The new schema stopped receiving writes: nothing queued, nothing changed.
    assert scalar(synced, "SELECT count(*) FROM migration.sync_queue") == 0
    assert record_status(synced, MONDAY, 1) is None and record_status(synced, NEXT_MONDAY, 0) is None
    code, findings = drift_findings(database_url)
    assert code == 1 and {legacy_id for _, legacy_id in findings} == {updated, inserted}
    assert ("MISSING_WEEK", inserted) in findings

    switch(database_url, "on")
    resync = run_cli("scripts.commands.resync", database_url=database_url)
    assert resync.returncode == 0 and resync.stdout.strip() == "resynced 2 of 2 legacy rows out of step"
    assert record_status(synced, MONDAY, 1) == "red" and record_status(synced, NEXT_MONDAY, 0) == "green"
    assert drift_findings(database_url) == (0, set())


def test_scenario_3_trigger_off_the_endpoint_alone_writes_both_schemas(synced, database_url):
    switch(database_url, "off")
    with running_endpoint(database_url, SECRET) as url:
        assert call(url, "create_week", create_data(), "week-1")[0] == 201
        update = {"child_name": "민준", "week_start_date": MONDAY, "habit_name": "독서", "day_index": 2,
                  "status": "yellow"}
        assert call(url, "update_habit_record", update, "day-2")[0] == 200
    assert record_status(synced, MONDAY, 2) == "yellow"
    assert scalar(synced, "SELECT count(*) FROM migration.sync_queue") == 0
    assert drift_findings(database_url) == (0, set())

    # No backup meanwhile: a write that bypasses the endpoint stays out of the new schema.
    bypassed = legacy_insert(synced, NEXT_MONDAY)
    assert drift_findings(database_url) == (1, {("MISSING_WEEK", bypassed)})
    switch(database_url, "on")
    assert run_cli("scripts.commands.resync", database_url=database_url).returncode == 0
    assert drift_findings(database_url) == (0, set())
