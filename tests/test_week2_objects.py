"""Week-2 objects (0007-0009), `make verify`, and `make rollback` with legacy rows present."""
from __future__ import annotations

import json
import os
import subprocess

import psycopg2
import pytest

from alembic.script import ScriptDirectory
from helpers import REPO_ROOT, add_legacy_rows, add_user, legacy_fingerprint, run_cli

from scripts.commands.migrate import alembic_config

PHASE0_END = "0009_dual_write_trigger_phase0"
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
WEEK2_REVISIONS = [
    "0005_validate_phase0_constraints", "0006_validate_other_constraints", "0007_idempotency_log",
    "0008_idempotency_cleanup", "0009_dual_write_trigger_phase0",
]


def scalar(conn, query, params=None):
    with conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()[0]


@pytest.mark.start_at(PHASE0_END)
def test_phase0_trigger_only_raises_a_notice(db, migrate):
    migrate("upgrade", PHASE0_END)
    user_id = add_user(db)
    db.notices.clear()
    add_legacy_rows(db, user_id, count=1)
    legacy_id = scalar(db, "SELECT id FROM habit_tracker")
    with db.cursor() as cur:
        cur.execute("UPDATE habit_tracker SET theme = 'x' WHERE id = %s", (legacy_id,))
        cur.execute("DELETE FROM habit_tracker WHERE id = %s", (legacy_id,))
    notices = [n.strip() for n in db.notices if "Dual-write" in n]
    assert notices == [
        f"NOTICE:  Dual-write trigger fired: table=habit_tracker, operation={op}, id={legacy_id}"
        for op in ("INSERT", "UPDATE", "DELETE")
    ]
    for table in ("children", "weeks", "habits", "habit_records"):
        assert scalar(db, f"SELECT count(*) FROM {table}") == 0, table


@pytest.mark.start_at(PHASE0_END)
def test_cleanup_deletes_only_expired_keys_and_counts_them(db, migrate):
    migrate("upgrade", PHASE0_END)
    user_id = add_user(db)
    with db.cursor() as cur:
        cur.execute("""INSERT INTO idempotency_log (key, operation, status, user_id, expires_at)
                       SELECT 'k' || n, 'create_week', 'completed', %s,
                              CASE WHEN n <= 3 THEN now() - INTERVAL '1 minute' ELSE now() + INTERVAL '1 hour' END
                       FROM generate_series(1, 5) n""", (user_id,))
    assert scalar(db, "SELECT cleanup_idempotency_log()") == 3
    assert scalar(db, "SELECT string_agg(key, ',' ORDER BY key) FROM idempotency_log") == "k4,k5"
    assert scalar(db, "SELECT cleanup_idempotency_log()") == 0


@pytest.mark.start_at(PHASE0_END)
def test_idempotency_key_is_unique(db, migrate):
    migrate("upgrade", PHASE0_END)
    with db.cursor() as cur:
        cur.execute("INSERT INTO idempotency_log (key, operation, status) VALUES ('same', 'x', 'pending')")
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cur.execute("INSERT INTO idempotency_log (key, operation, status) VALUES ('same', 'y', 'pending')")


@pytest.mark.start_at(PHASE0_END)
def test_cleanup_is_scheduled_daily_with_pg_cron(db, migrate):
    migrate("upgrade", PHASE0_END)
    with db.cursor() as cur:
        cur.execute("SELECT schedule, command FROM cron.job WHERE jobname = 'cleanup-idempotency-log'")
        assert cur.fetchall() == [("0 2 * * *", "SELECT public.cleanup_idempotency_log()")]
    migrate("downgrade", "0007_idempotency_log")
    assert scalar(db, "SELECT count(*) FROM cron.job") == 0


def test_without_pg_cron_the_revision_warns_and_verify_fails(db, migrate, database_url, admin_url):
    # A project whose pg_cron switch is off: only the platform's superuser can drop it.
    with psycopg2.connect(admin_url) as admin, admin.cursor() as cur:
        cur.execute("DROP EXTENSION pg_cron")
    admin.close()
    result = migrate("upgrade", PHASE0_END)
    assert ("WARNING:  pg_cron is not installed in this database: cleanup_idempotency_log() is NOT scheduled"
            in result.stderr)
    assert scalar(db, "SELECT to_regprocedure('cleanup_idempotency_log()') IS NOT NULL") is True
    report = run_cli("scripts.commands.verify", "--target", PHASE0_END, database_url=database_url)
    assert report.returncode == 1
    assert ("FAIL  idempotency cleanup: cleanup_idempotency_log() present but NOT scheduled: "
            "pg_cron is not installed in this database") in report.stdout.splitlines()


@pytest.mark.start_at(PHASE0_END)
def test_verify_passes_at_the_end_of_phase0_and_reports_json(db, migrate, database_url):
    migrate("upgrade", PHASE0_END)
    report = run_cli("scripts.commands.verify", "--target", PHASE0_END, database_url=database_url)
    assert report.returncode == 0, report.stdout + report.stderr
    lines = report.stdout.splitlines()
    assert [line for line in lines if line.startswith("FAIL")] == []
    assert "PASS  dual-write trigger: trigger_habit_tracker_dual_write enabled; mode log-only (Phase 0)" in lines
    as_json = json.loads(run_cli("scripts.commands.verify", "--json", "--target", PHASE0_END, database_url=database_url).stdout)
    assert as_json["ok"] is True and {c["status"] for c in as_json["checks"]} == {"PASS"}


@pytest.mark.parametrize("damage, failing_check", [
    ("DROP INDEX idx_weeks_user_date", "indexes"),
    ("ALTER TABLE children ENABLE ROW LEVEL SECURITY", "rls stage"),
    ("ALTER TABLE habit_tracker DISABLE TRIGGER trigger_habit_tracker_dual_write", "dual-write trigger"),
    ("SELECT cron.unschedule('cleanup-idempotency-log')", "idempotency cleanup"),
    ("ALTER TABLE weeks DROP CONSTRAINT fk_weeks_child_id", "constraint validation"),
])
@pytest.mark.start_at(PHASE0_END)
def test_verify_fails_on_damage(db, migrate, database_url, damage, failing_check):
    migrate("upgrade", PHASE0_END)
    with db.cursor() as cur:
        cur.execute(damage)
    report = run_cli("scripts.commands.verify", "--json", "--target", PHASE0_END, database_url=database_url)
    assert report.returncode == 1
    failed = [c["check"] for c in json.loads(report.stdout)["checks"] if c["status"] == "FAIL"]
    assert failed == [failing_check]


@pytest.mark.start_at(PHASE0_END)
def test_verify_reports_orphans(db, migrate, database_url, admin_url):
    migrate("upgrade", PHASE0_END)
    user_id = add_user(db)
    # What a careless bulk load by the platform's superuser does: no FK triggers. `postgres`
    # cannot (session_replication_role is superuser-only), so the superuser fabricates it.
    with psycopg2.connect(admin_url) as admin, admin.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute("INSERT INTO weeks (user_id, child_id, week_start_date, week_end_date) "
                    "VALUES (%s, gen_random_uuid(), '2025-07-21', '2025-07-27')", (user_id,))
    admin.close()
    report = run_cli("scripts.commands.verify", "--target", PHASE0_END, database_url=database_url)
    assert report.returncode == 1
    assert "FAIL  foreign key orphans: orphan rows: fk_weeks_child_id=1" in report.stdout.splitlines()


@pytest.mark.start_at("0004_shadow_rls_policies")
def test_verify_at_an_older_revision_fails_and_says_why(db, migrate, database_url):
    migrate("upgrade", "0004_shadow_rls_policies")
    report = run_cli("scripts.commands.verify", database_url=database_url)
    assert report.returncode == 1
    lines = report.stdout.splitlines()
    assert [line for line in lines if line.startswith("FAIL")] == [
        f"FAIL  alembic revision: database at 0004_shadow_rls_policies, expected {HEAD}"]
    # Everything else matches 0004, including the absence of the week-2 objects.
    assert run_cli("scripts.commands.verify", "--target", "current", database_url=database_url).returncode == 0


def test_verify_without_database_is_a_usage_error():
    result = run_cli("scripts.commands.verify", database_url="postgresql://postgres@127.0.0.1:1/x")
    assert result.returncode == 2 and "cannot connect" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("revision", WEEK2_REVISIONS)
def test_each_week2_revision_goes_up_down_up_losing_no_legacy_row(db, migrate, database_url, revision):
    index = WEEK2_REVISIONS.index(revision)
    before = WEEK2_REVISIONS[index - 1] if index else "0004_shadow_rls_policies"
    migrate("upgrade", before)
    add_legacy_rows(db, add_user(db), count=20)
    fingerprint = legacy_fingerprint(db)

    migrate("upgrade", revision)
    assert run_cli("scripts.commands.verify", "--target", revision, database_url=database_url).returncode == 0
    rollback = run_cli("scripts.commands.migrate", "downgrade", "-1", database_url=database_url)
    assert rollback.returncode == 0, rollback.stderr
    assert run_cli("scripts.commands.verify", "--target", before, database_url=database_url).returncode == 0
    migrate("upgrade", revision)
    assert run_cli("scripts.commands.verify", "--target", revision, database_url=database_url).returncode == 0
    assert legacy_fingerprint(db) == fingerprint


@pytest.mark.start_at(PHASE0_END)
def test_make_rollback_steps_back_and_verifies(db, migrate, database_url):
    migrate("upgrade", PHASE0_END)
    add_legacy_rows(db, add_user(db), count=3)
    fingerprint = legacy_fingerprint(db)
    result = subprocess.run(["make", "-s", "rollback"], cwd=REPO_ROOT, capture_output=True, text=True,
                            env={**os.environ, "DATABASE_URL": database_url}, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "PASS  alembic revision: database at 0008_idempotency_cleanup, expected 0008_idempotency_cleanup" in result.stdout
    assert "PASS  dual-write trigger: dual-write trigger absent (0009 not applied)" in result.stdout
    assert legacy_fingerprint(db) == fingerprint
