"""The freeze (#21 point 2, revision 0038_freeze_legacy): habit_tracker refuses every write from
every role; the endpoint keeps its HTTP contract on the new tables alone (the endpoint's own
cases of test_dual_write.py and test_endpoint_hardening.py run again here, against a frozen
database); the sync is retired; drift has nothing to compare; the rollback carries every kind of
frozen write back into habit_tracker with no drift; the contract gate guards it."""
from __future__ import annotations

import json

import psycopg2
import pytest

from helpers import (CONTRACT_OVERRIDE, FREEZE, LEGACY_WRITABLE, at_once, attempt, drift, run_in_process, scalar, starts_at,
                     unschedule_drain, upgrade_behind_a_reader)
from legacy_cases import U1, U2, habit
from test_dual_write import (  # noqa: F401 (endpoint: a fixture; the tests run again here, frozen)
    MONDAY, NEXT_MONDAY, SUNDAY, TUESDAY, counts, create, delete, endpoint, endpoint_client, placed, post, served,
    update,
    test_bad_input_gets_a_json_error_and_changes_nothing, test_keys_are_per_user,
    test_the_legacy_tables_global_child_week_unique_is_a_conflict, test_the_same_key_with_another_body_is_refused,
    test_cors_preflight_allows_the_originals_headers_for_allowed_origins,
)
from test_endpoint_hardening import (  # noqa: F401
    test_a_token_of_a_user_not_in_auth_users_is_401_and_writes_nothing,
    test_json_the_parser_or_postgresql_cannot_take_is_named_and_changes_nothing,
)

WRITES = {
    "INSERT": "INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id) "
              "VALUES ('x', 'y', '2025-07-21', '[]', '11111111-1111-1111-1111-111111111111')",
    "UPDATE": "UPDATE habit_tracker SET theme = 'z'",
    "DELETE": "DELETE FROM habit_tracker",
    "TRUNCATE": "TRUNCATE habit_tracker",
}


def frozen_message(kind: str) -> str:
    return f"habit_tracker is frozen (Phase 3, revision 0038_freeze_legacy): {kind} refused"


@pytest.fixture
@starts_at(FREEZE)
def synced(db, migrate):
    """Overrides conftest's: the endpoint's own tests imported above run against a frozen database."""
    migrate("upgrade", FREEZE)
    db.cursor().execute("INSERT INTO auth.users (id) VALUES (%s), (%s)", (U1, U2))
    return db


@pytest.fixture
@starts_at(LEGACY_WRITABLE)
def writable(db, migrate):
    """Before the freeze, with the test users: the legacy table takes writes."""
    migrate("upgrade", LEGACY_WRITABLE)
    db.cursor().execute("INSERT INTO auth.users (id) VALUES (%s), (%s)", (U1, U2))
    unschedule_drain(db)
    return db


def legacy_rows(db) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute("SELECT id, child_name, week_start_date::TEXT, habits, theme, updated_at FROM habit_tracker "
                    "ORDER BY id")
        return cur.fetchall()


def days(db, child="민준") -> set[tuple]:
    """(Monday, habit, date, status) of every record: what the app reads."""
    return {(monday, name, day, status) for monday, name, _, day, status in placed(db, child) if day is not None}


# --- every write refused --------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(WRITES))
def test_the_owner_is_refused_every_write_with_25006_naming_the_phase(synced, db, kind):
    db.cursor().execute("INSERT INTO auth.users (id) VALUES ('11111111-1111-1111-1111-111111111111') "
                        "ON CONFLICT DO NOTHING")
    with pytest.raises(psycopg2.Error) as refused:
        db.cursor().execute(WRITES[kind])
    assert refused.value.pgcode == "25006"
    assert refused.value.diag.message_primary == frozen_message(kind)
    assert counts(db)["habit_tracker"] == 0


@pytest.mark.parametrize("role", ["authenticated", "service_role"])
@pytest.mark.parametrize("kind", list(WRITES))
def test_the_api_roles_have_no_write_grant_and_the_trigger_refuses_them_anyway(synced, db, admin_url, role, kind):
    """Without grants: 42501 before any trigger. With the grants given back by mistake (the
    superuser does it here, as a careless DBA could), the freeze trigger still refuses: 25006."""
    denied = attempt(db, role, WRITES[kind])
    assert isinstance(denied, psycopg2.Error) and denied.pgcode == "42501", denied
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    admin.cursor().execute(f"GRANT ALL ON habit_tracker, habit_tracker_id_seq TO {role}")
    admin.close()
    refused = attempt(db, role, WRITES[kind])
    assert isinstance(refused, psycopg2.Error) and refused.pgcode == "25006", refused
    assert refused.diag.message_primary == frozen_message(kind)


def test_the_app_keeps_select_on_the_legacy_table(synced, db):
    assert scalar(db, "SELECT has_table_privilege('authenticated', 'habit_tracker', 'SELECT')") is True
    for privilege in ("INSERT", "UPDATE", "DELETE"):
        assert scalar(db, "SELECT has_table_privilege('authenticated', 'habit_tracker', %s)", (privilege,)) is False
    assert scalar(db, "SELECT has_sequence_privilege('authenticated', 'habit_tracker_id_seq', 'USAGE')") is False
    assert attempt(db, "authenticated", "SELECT count(*) FROM habit_tracker") == [(0,)]


# --- the sync retired -----------------------------------------------------------------------

def test_the_sync_trigger_and_the_drain_job_are_gone_and_the_worker_says_retired(synced, db, database_url):
    assert scalar(db, "SELECT count(*) FROM pg_trigger WHERE tgname = 'trigger_habit_tracker_dual_write'") == 0
    if scalar(db, "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron')"):
        assert scalar(db, "SELECT count(*) FROM cron.job WHERE jobname = 'drain-sync-queue'") == 0
    for action in ("drain", "worker"):
        result = run_in_process("scripts.commands.sync_queue", action, database_url=database_url)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"sync {action}: retired since 0038_freeze_legacy"), result.stdout
    for mode in ("status", "on"):
        result = run_in_process("scripts.commands.sync_trigger", mode, database_url=database_url)
        assert result.returncode == 0 and "retired since 0038_freeze_legacy" in result.stdout, result.stdout


def test_drift_has_nothing_left_to_compare(synced, database_url):
    result = run_in_process("scripts.commands.drift", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("nothing left to compare: habit_tracker is frozen since 0038_freeze_legacy")
    as_json = json.loads(run_in_process("scripts.commands.drift", "--json", database_url=database_url).stdout)
    assert as_json["drift"] is False and as_json["frozen"] is True


# --- the endpoint on the new tables ---------------------------------------------------------

def test_each_operation_writes_only_the_new_tables_with_the_same_answers(endpoint, db):
    created = endpoint(create(), key="c")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["operation"] == "create_week" and body["habits"] == 2 and body["records"] == 2
    assert body["week_ids"] == [body["week_id"]] and isinstance(body["legacy_id"], int)
    assert placed(db) == [(MONDAY, "독서", 0, "2025-07-21", "green"), (MONDAY, "독서", 0, "2025-07-23", "red"),
                          (MONDAY, "줄넘기", 1, None, None)]
    assert scalar(db, "SELECT source_version FROM weeks") == "new_schema"
    again = endpoint(create(), key="c")
    assert again.status_code == 201 and again.json() == body and again.headers["Idempotent-Replayed"] == "true"

    set_day = endpoint(update(status="yellow", day=1))
    assert set_day.status_code == 200, set_day.text
    assert set_day.json() == {"operation": "update_habit_record", "legacy_id": body["legacy_id"],
                              "habit_id": scalar(db, "SELECT id::TEXT FROM habits WHERE name = '독서'"),
                              "record_date": "2025-07-22", "status": "yellow"}
    assert endpoint(update(status="", day=0)).json()["status"] == ""
    assert endpoint(update(status="none", day=6, habit_name="줄넘기")).status_code == 200
    assert placed(db) == [(MONDAY, "독서", 0, "2025-07-22", "yellow"), (MONDAY, "독서", 0, "2025-07-23", "red"),
                          (MONDAY, "줄넘기", 1, "2025-07-27", "none")]
    assert endpoint(create(), key="dup").json()["error"]["code"] == "week_exists"

    deleted = endpoint(delete())
    assert deleted.status_code == 200 and deleted.json() == {"operation": "delete_week", "legacy_id": body["legacy_id"],
                                                             "deleted": True}
    assert endpoint(delete()).json()["error"]["code"] == "week_not_found"
    after = counts(db)
    assert (after["habit_tracker"], after["children"], after["weeks"], after["habits"], after["habit_records"],
            after["migration.sync_queue"]) == (0, 0, 0, 0, 0, 0)


def test_a_week_over_two_mondays_is_placed_by_date(endpoint, db):
    response = endpoint(create(start=TUESDAY, habits=[habit("독서", ["red", "", "", "", "", "", "green"]),
                                                      habit("피아노", [""] * 7, 2)]))
    assert response.status_code == 201, response.text
    assert len(response.json()["week_ids"]) == 2
    assert placed(db) == [(MONDAY, "독서", 0, TUESDAY, "red"), (MONDAY, "피아노", 1, None, None),
                          (NEXT_MONDAY, "독서", 0, NEXT_MONDAY, "green")]
    # Its seventh day is next Monday: an update lands there, in that week's habit.
    assert endpoint(update(status="yellow", day=6, start=TUESDAY)).json()["record_date"] == NEXT_MONDAY
    assert (NEXT_MONDAY, "독서", 0, NEXT_MONDAY, "yellow") in placed(db)


# --- the legacy data, frozen, then carried back ---------------------------------------------

def scenario_before_freeze(call) -> dict:
    """Legacy-era weeks of 민준, written through the endpoint while it wrote both schemas:
    a Sunday-start row and a Monday row sharing the week of 07-28, a week to be deleted while
    frozen, a week to be updated while frozen."""
    ids = {}
    for name, body in (("monday", create(start=NEXT_MONDAY)),
                       ("sunday", create(start=SUNDAY, theme="일요일", habits=[
                           habit("독서", ["yellow", "red", "", "", "", "", ""]),
                           habit("피아노", ["", "", "green", "", "", "", ""], 2)])),
                       ("doomed", create(start="2025-08-04")),
                       ("kept", create(start="2025-08-11"))):
        response = call(body)
        assert response.status_code == 201, response.text
        ids[name] = response.json()["legacy_id"]
    return ids


def frozen_writes(call) -> dict:
    """A write of every kind while frozen."""
    answers = {
        # The Sunday row's second day is Monday 07-28: the week it shares with the Monday row.
        "shared day": call(update(status="green", day=1, start=SUNDAY)),
        "monday row day": call(update(status="red", day=2, start=NEXT_MONDAY)),
        "cleared day": call(update(status="", day=2, start=SUNDAY, habit_name="피아노")),
        "kept week": call(update(status="yellow", day=3, start="2025-08-11", habit_name="줄넘기")),
        "deleted week": call(delete(start="2025-08-04")),
        "created week": call(create(start="2025-08-19", habits=[habit("수영", ["green", "", "", "", "", "", "red"])])),
    }
    answers["created week updated"] = call(update(status="red", day=1, start="2025-08-19", habit_name="수영"))
    for name, response in answers.items():
        assert response.status_code in (200, 201), (name, response.text)
    return {name: response.json() for name, response in answers.items()}


def habit_ids(db) -> dict:
    with db.cursor() as cur:
        cur.execute("SELECT w.week_start_date::TEXT, h.name, h.id::TEXT FROM habits h JOIN weeks w ON w.id = h.week_id")
        return {(monday, name): habit_id for monday, name, habit_id in cur.fetchall()}


def sources(db) -> dict:
    with db.cursor() as cur:
        found = {}
        for table in ("children", "weeks", "habits", "habit_records"):
            cur.execute(f"SELECT id::TEXT, source_version FROM {table}")
            found.update({(table, row_id): source for row_id, source in cur.fetchall()})
        return found


def test_frozen_writes_touch_no_legacy_row_keep_ids_and_provenance(writable, db, migrate, database_url):
    with endpoint_client(database_url) as call:
        scenario_before_freeze(call)
        migrate("upgrade", FREEZE)
        legacy_before, ids_before, sources_before = legacy_rows(db), habit_ids(db), sources(db)
        answers = frozen_writes(call)
    assert legacy_rows(db) == legacy_before
    # Every habit that existed keeps its id (the one the update answered with, too).
    surviving = {key: value for key, value in habit_ids(db).items() if key in ids_before}
    assert surviving == {key: value for key, value in ids_before.items() if not key[0] == "2025-08-04"}
    assert answers["shared day"]["habit_id"] == ids_before[(NEXT_MONDAY, "독서")]
    # No existing row's provenance is rewritten; every new row is the app's, 'new_schema'.
    after = sources(db)
    assert {key: after[key] for key in after if key in sources_before} == {
        key: value for key, value in sources_before.items() if key in after}
    assert {value for key, value in after.items() if key not in sources_before} == {"new_schema"}
    assert scalar(db, "SELECT count(*) FROM migration.sync_queue") == 0


def test_the_rollback_carries_every_frozen_write_back_with_no_drift(writable, db, migrate, database_url):
    with endpoint_client(database_url) as call:
        legacy = scenario_before_freeze(call)
        migrate("upgrade", FREEZE)
        answers = frozen_writes(call)
        seen_frozen = {child: days(db, child) for child in ("민준",)}
        weeks_frozen = scalar(db, "SELECT array_agg(week_start_date::TEXT ORDER BY 1) FROM weeks")
        migrate("downgrade", LEGACY_WRITABLE)
        # The app reads the same days after the rollback as before it.
        assert days(db) == seen_frozen["민준"]
        assert scalar(db, "SELECT array_agg(week_start_date::TEXT ORDER BY 1) FROM weeks") == weeks_frozen
        code, report = drift(database_url)
        assert code == 0, report["by_kind"]

        with db.cursor() as cur:
            cur.execute("SELECT id, week_start_date::TEXT, habits FROM habit_tracker ORDER BY id")
            rows = {row_id: (start, habits) for row_id, start, habits in cur.fetchall()}
        # Deleted while frozen: gone. Created while frozen: a row under the reserved id.
        assert legacy["doomed"] not in rows
        created = answers["created week"]["legacy_id"]
        assert rows[created][0] == "2025-08-19"
        assert [h["times"] for h in rows[created][1]] == [["green", "red", "", "", "", "", "red"]]
        # The shared Monday (07-28): in both rows that cover it and hold 독서, so they agree.
        assert rows[legacy["sunday"]][1][0]["times"][1] == "green"
        assert rows[legacy["monday"]][1][0]["times"][0] == "green"
        assert rows[legacy["monday"]][1][0]["times"][2] == "red"
        assert rows[legacy["sunday"]][1][1]["times"][2] == ""  # 피아노 cleared
        assert rows[legacy["kept"]][1][1]["times"][3] == "yellow"
        # The rows agree on every day (the Sunday row's theme against the Monday row's stays recorded).
        assert scalar(db, "SELECT count(*) FROM migration.placement_conflicts WHERE field = 'status'") == 0

        # Dual-write is back: the sync trigger, its drain job, the endpoint writing habit_tracker, the grants.
        assert scalar(db, "SELECT count(*) FROM pg_trigger WHERE tgname = 'trigger_habit_tracker_dual_write'") == 1
        if scalar(db, "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron')"):
            assert scalar(db, "SELECT schedule FROM cron.job WHERE jobname = 'drain-sync-queue'") == "* * * * *"
        assert scalar(db, "SELECT has_table_privilege('authenticated', 'habit_tracker', 'INSERT')") is True
        assert call(update(status="red", day=0, start="2025-08-19", habit_name="수영")).status_code == 200
        assert scalar(db, "SELECT habits -> 0 -> 'times' ->> 0 FROM habit_tracker WHERE id = %s", (created,)) == "red"
    code, report = drift(database_url)
    assert code == 0, report["by_kind"]


def test_read_parity_agrees_after_the_rollback(writable, db, migrate, database_url):
    with endpoint_client(database_url) as call:
        scenario_before_freeze(call)
        migrate("upgrade", FREEZE)
        frozen_writes(call)
    migrate("downgrade", LEGACY_WRITABLE)
    result = run_in_process("scripts.commands.read_parity", database_url=database_url)
    assert result.returncode == 0, (result.stdout, result.stderr)


# --- the gate -------------------------------------------------------------------------------

def test_the_gate_refuses_the_freeze_without_the_override(writable, db, migrate):
    refused = migrate("upgrade", FREEZE, check=False, contract_gate=True)
    assert refused.returncode != 0 and "contract" in refused.stderr, refused.stderr
    assert scalar(db, "SELECT version_num FROM alembic_version") == LEGACY_WRITABLE
    assert scalar(db, "SELECT count(*) FROM pg_trigger WHERE tgname = 'trigger_habit_tracker_frozen'") == 0
    migrate("upgrade", FREEZE)
    assert scalar(db, "SELECT version_num FROM alembic_version") == FREEZE
    assert "override" in scalar(db, "SELECT note FROM alembic.alembic_version_history "
                                    "WHERE revision = %s AND direction = 'upgrade' ORDER BY id DESC LIMIT 1", (FREEZE,))


def test_verify_consistency_and_resync_have_nothing_to_compare_and_backfill_is_refused(endpoint, db, database_url):
    assert endpoint(create()).status_code == 201
    assert endpoint(update(status="red", day=4)).status_code == 200
    checked = endpoint({"operation": "verify_consistency", "data": {}})
    assert checked.status_code == 200, checked.text
    assert checked.json()["consistent"] is True and checked.json()["frozen"] is True
    before = days(db)
    result = run_in_process("scripts.commands.resync", database_url=database_url)
    assert result.returncode == 0 and result.stdout.startswith("resync: nothing to resync"), result.stdout
    # A backfill would place the (older) legacy rows over the app's writes: refused, one line.
    result = run_in_process("scripts.commands.backfill", database_url=database_url)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "refused: habit_tracker is frozen since 0038_freeze_legacy" in result.stderr
    assert days(db) == before


# --- the lock -------------------------------------------------------------------------------

def test_the_freeze_retries_its_lock_behind_a_reader_without_stalling_the_apps_reads(writable, db, database_url):
    """The triggers need ACCESS EXCLUSIVE on habit_tracker: behind an open read the freeze tries
    200 ms at a time with pauses (migrations/helpers/lock_retry.py), and succeeds once the read
    ends; the app's reads of the table wait at most about one attempt meanwhile."""
    # Held longer than for an RLS stage: the contract gate runs (and is recorded skipped) first.
    found = upgrade_behind_a_reader(database_url, FREEZE, "habit_tracker", 6, *CONTRACT_OVERRIDE)
    assert found["result"].returncode == 0, found["result"].stderr
    assert "lock on public.habit_tracker not available (attempt 1 of 12)" in found["result"].stderr
    assert found["waiting"] == {"AccessExclusiveLock"}
    assert len(found["app_reads"]) > 10 and max(found["app_reads"]) < 0.6, found["app_reads"]
    assert found["elapsed"] > 6.0
    assert scalar(db, "SELECT version_num FROM alembic_version") == FREEZE


def merged_writes(call) -> None:
    """Frozen writes that merge with legacy-era rows: a Tuesday-start week created over the
    Monday row's week (its seventh day is that Monday); a day of the Sunday row filled in a
    habit its week of 07-21 did not show; then the Sunday row deleted."""
    for body in (create(child="서연", start=TUESDAY, habits=[habit("독서", ["red", "", "", "", "", "", "yellow"]),
                                                             habit("그림", [""] * 7, 2)]),
                 update(status="red", day=0, start=SUNDAY, habit_name="피아노"),
                 update(status="green", day=6, start=TUESDAY, child="서연"),
                 delete(start=SUNDAY)):
        response = call(body)
        assert response.status_code in (200, 201), (body, response.text)


def test_the_rollback_of_writes_merged_with_legacy_rows_has_no_drift(writable, db, migrate, database_url):
    with endpoint_client(database_url) as call:
        scenario_before_freeze(call)
        assert call(create(child="서연", start=NEXT_MONDAY)).status_code == 201
        migrate("upgrade", FREEZE)
        merged_writes(call)
        before = {child: days(db, child) for child in ("민준", "서연")}
        migrate("downgrade", LEGACY_WRITABLE)
        assert {child: days(db, child) for child in ("민준", "서연")} == before
    code, report = drift(database_url)
    assert code == 0, report
    assert run_in_process("scripts.commands.read_parity", database_url=database_url).returncode == 0


def test_concurrent_requests_have_one_effect_while_frozen(served, db):
    """As test_dual_write's fifty requests, on the new tables alone: one key, one effect; fifty
    keys for one week, one 201 and forty-nine 409 (the frozen functions serialize a child name)."""
    results = at_once(lambda n: post(served, create(), key="one-key"), 50)
    assert {status for status, _ in results} == {201}
    assert len({json.dumps(body, sort_keys=True) for _, body in results}) == 1
    assert (counts(db)["weeks"], counts(db)["idempotency_log"], counts(db)["habit_tracker"]) == (1, 1, 0)
    statuses = sorted(status for status, _ in at_once(lambda n: post(served, create(start=NEXT_MONDAY), f"k{n}"), 50))
    assert statuses == [201] + [409] * 49
    days_at_once = [f"2025-08-{4 + n:02d}" for n in range(7)]
    results = at_once(lambda n: post(served, create(start=days_at_once[n], habits=[habit("독서", ["green"] + [""] * 6)]),
                                     f"day-{n}"), 7)
    assert [status for status, _ in results] == [201] * 7
    assert [row for row in placed(db) if row[0] == "2025-08-04"] == [
        ("2025-08-04", "독서", 0, day, "green") for day in days_at_once]


def test_another_users_week_is_not_found_and_untouched_while_frozen(endpoint, db):
    endpoint(create())
    before, seen = counts(db), days(db)
    for body in (update(), delete()):
        response = endpoint(body, user=U2)
        assert response.status_code == 404 and response.json()["error"]["code"] == "week_not_found"
    assert counts(db) == before and days(db) == seen
