"""Phase 2's RLS stages (0027-0030), tried as the API roles at each stage, with the migration's
own commands still working at each, each stage's downgrade, its lock and its gate.

At every stage, as PostgREST would run a request (SET ROLE with the user's claims):
- `authenticated` reads exactly its own rows of the tables opened so far, and nothing of the
  others (42501); it writes habit_templates and notifications as their policies allow, and
  never the four tables the dual-write path keeps (42501): their writes go through the endpoint
  until Phase 3;
- `anon` is refused every command on every new table (42501); nobody may TRUNCATE.
The migration's work runs as postgres (BYPASSRLS on Supabase): the trigger's drain, the
endpoint, backfill, resync, drift and verify are run at every stage and must leave no drift.
"""
from __future__ import annotations

import json
import threading
import time

import psycopg2
import pytest
from psycopg2 import errors
from starlette.testclient import TestClient

from helpers import (assert_verify_passed_here, attempt, current_revision, drain, insert, run_cli, run_in_process,
                     scalar, unschedule_drain)
from legacy_cases import U1, U2, habit
from scripts.dual_write.app import PATH, create_app
from scripts.dual_write.settings import Settings
from test_dual_write import ORIGIN, SECRET, create, token, update

NEW_TABLES = ("children", "weeks", "habits", "habit_records", "habit_templates", "notifications")
MAPPED = ("children", "weeks", "habits", "habit_records")  # written by the dual-write path only
ALL_FOUR = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})
READ = frozenset({"SELECT"})
# Each stage: what authenticated may do on each new table (RLS is on exactly where it may do anything).
STAGES = {
    "0026_placed_conflicts_hash": {},
    "0027_rls_stage1_children": {"children": READ, "habit_templates": ALL_FOUR, "notifications": ALL_FOUR},
}
STAGES["0028_rls_stage2_weeks"] = {**STAGES["0027_rls_stage1_children"], "weeks": READ}
STAGES["0029_rls_stage3_habits"] = {**STAGES["0028_rls_stage2_weeks"], "habits": READ}
STAGES["0030_rls_stage4_habit_records"] = {**STAGES["0029_rls_stage3_habits"], "habit_records": READ}
STAGE_REVISIONS = list(STAGES)[1:]
PREVIOUS = dict(zip(STAGE_REVISIONS, list(STAGES)))

COMMANDS = {
    "SELECT": "SELECT id FROM {table}",
    "INSERT": "INSERT INTO {table} DEFAULT VALUES",
    "UPDATE": "UPDATE {table} SET created_at = created_at",
    "DELETE": "DELETE FROM {table}",
    "TRUNCATE": "TRUNCATE {table}",
}
# Each user's rows of a table, read as postgres (the test's truth).
OWN_ROWS = {
    "children": "SELECT id FROM children WHERE user_id = %(user)s",
    "weeks": "SELECT id FROM weeks WHERE user_id = %(user)s",
    "habits": "SELECT h.id FROM habits h JOIN weeks w ON w.id = h.week_id WHERE w.user_id = %(user)s",
    "habit_records": """SELECT r.id FROM habit_records r JOIN habits h ON h.id = r.habit_id
                        JOIN weeks w ON w.id = h.week_id WHERE w.user_id = %(user)s""",
    "habit_templates": "SELECT id FROM habit_templates WHERE user_id = %(user)s",
    "notifications": "SELECT id FROM notifications WHERE user_id = %(user)s",
}


def populate(conn, keep_cron_drain: bool = False) -> None:
    """U1 and U2 each: one synced legacy week (a child, a week, two habits, records), a
    template and a notification sent to themselves. Written as postgres. pg_cron's minutely
    drain is unscheduled unless kept (a test that queues writes must find them queued; one that
    runs `make verify` needs the job)."""
    with conn.cursor() as cur:
        cur.execute("INSERT INTO auth.users (id) VALUES (%s), (%s)", (U1, U2))
    if not keep_cron_drain:
        unschedule_drain(conn)
    insert(conn, user=U1)
    insert(conn, child="서연", user=U2, start="2025-09-01")
    with conn.cursor() as cur:
        for user in (U1, U2):
            cur.execute("INSERT INTO habit_templates (user_id, name) VALUES (%s, 'morning')", (user,))
            cur.execute("""INSERT INTO notifications (user_id, from_user_id, type, title, message)
                           VALUES (%s, %s, 'chat', 'hi', 'hello')""", (user, user))


def own_ids(conn, table: str, user: str) -> set:
    with conn.cursor() as cur:
        cur.execute(OWN_ROWS[table], {"user": user})
        return {row[0] for row in cur.fetchall()}


def rls_and_grants(conn) -> dict[str, frozenset]:
    """What the catalog says: for each new table with RLS on, authenticated's privileges on it;
    and every privilege anon holds on any of them (must be none)."""
    with conn.cursor() as cur:
        cur.execute("""SELECT c.relname, c.relrowsecurity,
                              array(SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE',
                                                              'REFERENCES', 'TRIGGER']) AS p
                                    WHERE has_table_privilege('authenticated', c.oid, p)),
                              array(SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE',
                                                              'REFERENCES', 'TRIGGER']) AS p
                                    WHERE has_table_privilege('anon', c.oid, p))
                       FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY(%s)""",
                    (list(NEW_TABLES),))
        rows = cur.fetchall()
    assert all(not anon for _, _, _, anon in rows), rows
    for name, rls, granted, _ in rows:
        assert rls == bool(granted), f"{name}: RLS {'on' if rls else 'off'} but authenticated holds {granted}"
    return {name: frozenset(granted) for name, rls, granted, _ in rows if rls}


@pytest.fixture(scope="module", params=list(STAGES))
def stage(request, templates):
    """One shared database per stage (and at 0026, before any), populated; every case only
    attempts statements in transactions that are rolled back."""
    with templates.shared_database(f"rls_stage_{request.param_index}", request.param) as url:
        conn = psycopg2.connect(url)
        conn.autocommit = True
        try:
            assert current_revision(conn) == request.param
            populate(conn)
            yield conn, request.param
        finally:
            conn.close()


def test_each_stage_enables_rls_and_grants_exactly_its_tables(stage):
    conn, revision = stage
    assert rls_and_grants(conn) == STAGES[revision]


@pytest.mark.parametrize("table", NEW_TABLES)
def test_a_user_reads_exactly_their_own_rows_of_an_opened_table_and_nothing_else(stage, table):
    conn, revision = stage
    for me in (U1, U2):
        result = attempt(conn, "authenticated", COMMANDS["SELECT"].format(table=table), user=me)
        if table in STAGES[revision]:
            assert {row[0] for row in result} == own_ids(conn, table, me) != set()
        else:
            assert isinstance(result, errors.InsufficientPrivilege), f"{revision} {table}: {result!r}"


@pytest.mark.parametrize("table", MAPPED)
@pytest.mark.parametrize("command", ["INSERT", "UPDATE", "DELETE", "TRUNCATE"])
def test_the_dual_written_tables_refuse_every_write_of_the_app(stage, table, command):
    conn, revision = stage
    result = attempt(conn, "authenticated", COMMANDS[command].format(table=table))
    assert isinstance(result, errors.InsufficientPrivilege), f"{revision} {command} {table}: {result!r}"


@pytest.mark.parametrize("table", NEW_TABLES)
@pytest.mark.parametrize("command", COMMANDS)
def test_anon_is_refused_everything(stage, table, command):
    conn, revision = stage
    result = attempt(conn, "anon", COMMANDS[command].format(table=table))
    assert isinstance(result, errors.InsufficientPrivilege), f"{revision} anon {command} {table}: {result!r}"


def test_templates_and_notifications_are_written_as_their_policies_allow(stage):
    conn, revision = stage
    opened = "habit_templates" in STAGES[revision]
    mine = attempt(conn, "authenticated", "INSERT INTO habit_templates (user_id, name) VALUES (%s, 'evening') RETURNING id",
                   (U1,))
    # To another user, without RETURNING: the row is not the sender's to read (the SELECT policy
    # admits the recipient), so RETURNING would fail with 42501; PostgREST's return=minimal.
    sent = attempt(conn, "authenticated", """INSERT INTO notifications (user_id, from_user_id, type, title, message)
                                             VALUES (%s, %s, 'mention', 'hey', 'look')""", (U2, U1))
    if not opened:
        assert isinstance(mine, errors.InsufficientPrivilege) and isinstance(sent, errors.InsufficientPrivilege), (mine, sent)
        return
    assert isinstance(mine, list) and len(mine) == 1, repr(mine)
    assert sent == 1, repr(sent)
    returning = attempt(conn, "authenticated", """INSERT INTO notifications (user_id, from_user_id, type, title, message)
                                                  VALUES (%s, %s, 'mention', 'hey', 'look') RETURNING id""", (U2, U1))
    assert isinstance(returning, errors.InsufficientPrivilege), repr(returning)
    # Another user's rows: the policies refuse (42501 on WITH CHECK) or filter (0 rows).
    for_another = attempt(conn, "authenticated", "INSERT INTO habit_templates (user_id, name) VALUES (%s, 'x')", (U2,))
    assert isinstance(for_another, errors.InsufficientPrivilege), repr(for_another)
    as_another = attempt(conn, "authenticated", """INSERT INTO notifications (user_id, from_user_id, type, title, message)
                                                   VALUES (%s, %s, 'chat', 'x', 'y')""", (U1, U2))
    assert isinstance(as_another, errors.InsufficientPrivilege), repr(as_another)
    assert attempt(conn, "authenticated", "UPDATE habit_templates SET name = 'mine now' WHERE user_id = %s", (U2,)) == 0
    assert attempt(conn, "authenticated", "DELETE FROM notifications WHERE user_id = %s", (U2,)) == 0
    assert attempt(conn, "authenticated", "UPDATE notifications SET is_read = TRUE WHERE user_id = %s", (U1,)) == 1
    assert attempt(conn, "authenticated", "DELETE FROM habit_templates WHERE user_id = %s", (U1,)) == 1
    assert scalar(conn, "SELECT count(*) FROM habit_templates") == 2  # all rolled back


# --- the migration's own work, as postgres, at every stage -------------------------------------

def verify(database_url) -> dict:
    """`make verify --target current` (JSON), passed: without pg_cron (17 and 18 here) but for the
    cron jobs' parts (helpers.assert_verify_passed_here)."""
    result = run_in_process("scripts.commands.verify", "--target", "current", "--json", database_url=database_url)
    assert_verify_passed_here(result, database_url, "current")
    return json.loads(result.stdout)


@pytest.mark.parametrize("revision", STAGE_REVISIONS)
def test_every_migration_command_works_at_each_stage(revision, db, database_url, migrate, monkeypatch):
    migrate("upgrade", revision)
    populate(db, keep_cron_drain=True)
    # A legacy write of the app (trigger, queue, drain; pg_cron's job may drain it first) ...
    legacy_id = insert(db, child="하린", start="2025-07-23",
                       habits=[habit("독서", ["green", "", "", "", "", "red", ""])])
    assert scalar(db, "SELECT count(*) FROM migration.sync_queue") == 0
    assert scalar(db, "SELECT count(*) FROM migration.sync_failures") == 0
    # ... the endpoint's writes (it logs in as postgres) ...
    with TestClient(create_app(Settings(database_url, SECRET, (ORIGIN,), pool_size=2))) as client:
        def call(body, key):
            return client.post(PATH, content=json.dumps(body, ensure_ascii=False),
                               headers={"Authorization": f"Bearer {token(U1)}", "Origin": ORIGIN,
                                        "X-Idempotency-Key": key})
        assert call(create(child="지호"), "k1").status_code == 201
        assert call(update(child="지호", status="red", day=3), "k2").status_code == 200
    # ... a row written while the trigger was off, found by resync; backfill over everything.
    with db.cursor() as cur:
        cur.execute("UPDATE migration.settings SET value = 'false' WHERE name = 'sync_trigger'")
        cur.execute("UPDATE habit_tracker SET theme = 'changed while off' WHERE id = %s", (legacy_id,))
        cur.execute("UPDATE migration.settings SET value = 'true' WHERE name = 'sync_trigger'")
    for command in ("scripts.commands.resync", "scripts.commands.backfill", "scripts.commands.drift"):
        result = run_in_process(command, database_url=database_url)
        assert result.returncode == 0, f"{command} at {revision}: {result.stdout}{result.stderr}"
    assert scalar(db, "SELECT theme FROM weeks WHERE week_start_date = '2025-07-21' AND child_id = "
                      "(SELECT id FROM children WHERE name = '하린')") == "changed while off"
    verify(database_url)
    # Read as the user, RLS on: the endpoint's and the trigger's writes are theirs to see.
    if "habit_records" in STAGES[revision]:
        statuses = attempt(db, "authenticated", """SELECT r.status FROM habit_records r JOIN habits h ON h.id = r.habit_id
                                                   JOIN weeks w ON w.id = h.week_id JOIN children c ON c.id = w.child_id
                                                   WHERE c.name = '지호' ORDER BY r.record_date""")
        assert statuses == [("green",), ("red",), ("red",)]


# --- each stage's downgrade -----------------------------------------------------------------------

@pytest.mark.parametrize("revision", STAGE_REVISIONS)
def test_rollback_of_a_stage_leaves_the_previous_stage_verified(revision, db, database_url, migrate):
    migrate("upgrade", revision)
    populate(db, keep_cron_drain=True)
    rows = {table: scalar(db, f"SELECT count(*) FROM {table}") for table in NEW_TABLES}
    result = run_in_process("scripts.commands.migrate", "downgrade", "-1", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert current_revision(db) == PREVIOUS[revision]
    assert rls_and_grants(db) == STAGES[PREVIOUS[revision]]
    report = verify(database_url)
    line = next(c for c in report["checks"] if c["check"] == "rls stage")
    stage_number = STAGE_REVISIONS.index(revision)
    assert line["detail"].startswith(f"stage {stage_number} of 4")
    assert {table: scalar(db, f"SELECT count(*) FROM {table}") for table in NEW_TABLES} == rows


# --- the lock and the gate -----------------------------------------------------------------------

def upgrade_behind_a_reader(database_url, hold_seconds: float | None, revision: str = "0027_rls_stage1_children",
                            table: str = "notifications", options: tuple = ()) -> dict:
    """Upgrade to `revision` (0027) while a transaction holds ACCESS SHARE on `table`
    (notifications; released after `hold_seconds`, or only once the upgrade has ended);
    meanwhile another session reads the table every 50 ms, as the app would. Returns the
    upgrade's result and time, the modes seen waiting on it, and the app reads' longest wait.
    `options`: more arguments of migrate (test_freeze.py passes the contract override)."""
    reader = psycopg2.connect(database_url)
    app = psycopg2.connect(database_url)
    app.autocommit = True
    found: dict = {"waiting": set(), "app_reads": [], "result": None}
    with reader.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")  # holds ACCESS SHARE until rollback

    def upgrade():
        started = time.monotonic()
        found["result"] = run_cli("scripts.commands.migrate", "upgrade", revision, *options,
                                  database_url=database_url)
        found["elapsed"] = time.monotonic() - started

    def read_as_the_app():
        watcher = psycopg2.connect(database_url)
        watcher.autocommit = True  # pg_locks afresh at every poll
        with watcher.cursor() as look, app.cursor() as cur:
            cur.execute("SET statement_timeout = '5s'")
            while found["result"] is None:
                look.execute("SELECT mode FROM pg_locks WHERE relation = %s::regclass AND NOT granted", (table,))
                found["waiting"] |= {mode for (mode,) in look.fetchall()}
                started = time.monotonic()
                cur.execute(f"SELECT count(*) FROM {table}")
                found["app_reads"].append(time.monotonic() - started)
                time.sleep(0.05)
        watcher.close()

    threads = [threading.Thread(target=upgrade), threading.Thread(target=read_as_the_app)]
    for thread in threads:
        thread.start()
    try:
        if hold_seconds is not None:
            time.sleep(hold_seconds)
            reader.rollback()
        threads[0].join()
        threads[1].join()
    finally:
        reader.rollback()
        reader.close()
        app.close()
    return found


@pytest.mark.start_at("0026_placed_conflicts_hash")
def test_a_stage_retries_its_lock_behind_a_reader_without_stalling_the_apps_reads(db, database_url):
    """ENABLE ROW LEVEL SECURITY needs ACCESS EXCLUSIVE: behind an open read of notifications the
    revision tries for it 200 ms at a time, with pauses, and succeeds once the read ends; the
    app's reads of that table meanwhile wait at most about one attempt."""
    found = upgrade_behind_a_reader(database_url, hold_seconds=2.5)
    assert found["result"].returncode == 0, found["result"].stderr
    assert "lock on public.children, public.habit_templates, public.notifications not available (attempt 1 of 12)" \
        in found["result"].stderr
    assert found["waiting"] == {"AccessExclusiveLock"}
    assert len(found["app_reads"]) > 10 and max(found["app_reads"]) < 0.6, found["app_reads"]
    assert found["elapsed"] > 2.0
    assert current_revision(db) == "0027_rls_stage1_children"
    assert rls_and_grants(db) == STAGES["0027_rls_stage1_children"]


@pytest.mark.start_at("0026_placed_conflicts_hash")
def test_a_stage_behind_a_reader_that_never_ends_stops_with_55p03_and_applies_nothing(db, database_url):
    found = upgrade_behind_a_reader(database_url, hold_seconds=None)
    result = found["result"]
    assert result.returncode == 1, result.stderr
    assert "could not lock public.children, public.habit_templates, public.notifications in ACCESS EXCLUSIVE " \
           "mode after 12 attempts of 200ms" in result.stderr
    assert "55P03" in result.stderr and "Traceback" not in result.stderr
    assert 20 < found["elapsed"] < 60
    assert max(found["app_reads"]) < 0.6, found["app_reads"]
    assert current_revision(db) == "0026_placed_conflicts_hash"
    assert rls_and_grants(db) == {}


@pytest.mark.start_at("0026_placed_conflicts_hash")
def test_a_stage_is_refused_while_the_gate_fails_then_applied(db, database_url):
    populate(db)
    insert(db, child="하린", then_drain=False)  # a legacy write still queued
    refused = run_in_process("scripts.commands.migrate", "upgrade", "0027_rls_stage1_children",
                             database_url=database_url)
    assert refused.returncode == 1
    assert "FAIL queue drained: 1 legacy writes queued" in refused.stdout + refused.stderr
    assert current_revision(db) == "0026_placed_conflicts_hash"
    assert rls_and_grants(db) == {}
    drain(db)
    applied = run_in_process("scripts.commands.migrate", "upgrade", "0027_rls_stage1_children",
                             database_url=database_url)
    assert applied.returncode == 0, applied.stderr
    assert rls_and_grants(db) == STAGES["0027_rls_stage1_children"]
