"""The DBA's migration command: one-line errors with the right exit code, serialised runs,
offline SQL without a database, and a baseline that refuses to destroy legacy data."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import psycopg2
import pytest

from helpers import CONTRACT_OVERRIDE, LEGACY_WRITABLE, REPO_ROOT, current_revision, run_cli
from scripts.db.legacy_table import RENAME_REVISION  # the drop after it needs an archive first
from scripts.db.migration_settings import MIGRATION_ADVISORY_LOCK_KEY


def assert_one_line_error(result, exit_code: int, *fragments: str) -> None:
    """Exit code, no traceback, and one error line beside Alembic's own progress log."""
    assert result.returncode == exit_code, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("INFO  [alembic")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def migrate(database_url):
    """The command line itself is under test here: a subprocess, as the DBA runs it (conftest's
    `migrate` runs the same main() in-process)."""

    def _migrate(*args: str, check: bool = True):
        result = run_cli("scripts.commands.migrate", *args, database_url=database_url)
        if check and result.returncode != 0:
            pytest.fail(f"migrate {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result

    return _migrate


def test_missing_database_url_is_a_usage_error(tmp_path):
    result = run_cli("scripts.commands.migrate", "upgrade", database_url=None, cwd=tmp_path)
    assert_one_line_error(result, 2, "DATABASE_URL is not set")


def test_database_url_from_dotenv_is_used(tmp_path, database_url):
    (tmp_path / ".env").write_text(f"# local settings\nDATABASE_URL={database_url}\n")
    result = run_cli("scripts.commands.migrate", "upgrade", RENAME_REVISION, *CONTRACT_OVERRIDE, database_url=None, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_malformed_database_url_is_a_usage_error():
    result = run_cli("scripts.commands.migrate", "upgrade", database_url="mysql://localhost/habits")
    assert_one_line_error(result, 2, "postgresql://")


def test_database_that_is_down_is_a_usage_error():
    result = run_cli("scripts.commands.migrate", "upgrade", database_url="postgresql://postgres@127.0.0.1:1/habits")
    assert_one_line_error(result, 2, "cannot connect")


def test_database_without_supabase_auth_is_a_usage_error(db, throwaway_server):
    name = f"plain_{uuid.uuid4().hex[:8]}"
    with db.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        result = run_cli("scripts.commands.migrate", "upgrade", database_url=throwaway_server.cluster.url(name))
        assert_one_line_error(result, 2, "auth.users")
    finally:
        with db.cursor() as cur:
            cur.execute(f'DROP DATABASE "{name}"')


def test_unknown_revision_is_a_usage_error(database_url):
    result = run_cli("scripts.commands.migrate", "upgrade", "no_such_revision", database_url=database_url)
    assert_one_line_error(result, 2, "no_such_revision")


def test_offline_sql_renders_without_a_database(tmp_path):
    result = run_cli("scripts.commands.migrate", "sql", "base:head", database_url=None, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    sql = result.stdout
    assert "CREATE TABLE habit_tracker" in sql
    assert sql.count("CREATE POLICY") == 29  # 24 shadow + the legacy one + 4 on idempotency_log
    assert sql.count("CONCURRENTLY IF NOT EXISTS") == 39
    # The 23 shadow constraints, 0012's widened ck_settings_known on migration.settings, 0034's
    # ck_habit_records_user_id_present, and 0040's fk_retired_legacy_table_archive.
    assert sql.count("NOT VALID") == 26
    assert sql.count("VALIDATE CONSTRAINT") == 26
    assert "SET lock_timeout" in sql and "SET statement_timeout" in sql


def test_concurrent_upgrades_serialise_on_the_advisory_lock(database_url, db):
    """A run that finds the migration lock held waits for it, migrating nothing, then completes."""
    holder = psycopg2.connect(database_url)
    holder.autocommit = True
    with holder.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_ADVISORY_LOCK_KEY,))
    env = {"DATABASE_URL": database_url}
    waiting = subprocess.Popen(
        [sys.executable, "-m", "scripts.commands.migrate", "upgrade", RENAME_REVISION, *CONTRACT_OVERRIDE], cwd=REPO_ROOT,
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        time.sleep(3)
        assert waiting.poll() is None, "the second upgrade waits while the lock is held"
        with db.cursor() as cur:
            cur.execute("SELECT to_regclass('public.habit_tracker')")
            assert cur.fetchone() == (None,), "nothing is migrated while the lock is held"
    finally:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_ADVISORY_LOCK_KEY,))
        holder.close()
    _, stderr = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, stderr
    assert current_revision(db) is not None


def test_two_simultaneous_upgrades_both_succeed(database_url, db):
    procs = [
        subprocess.Popen([sys.executable, "-m", "scripts.commands.migrate", "upgrade", RENAME_REVISION, *CONTRACT_OVERRIDE],
                         cwd=REPO_ROOT,
                         env={**os.environ, "DATABASE_URL": database_url},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in results]
    assert current_revision(db) == RENAME_REVISION




@pytest.mark.start_at(LEGACY_WRITABLE)
def test_baseline_downgrade_refuses_to_drop_legacy_rows(db, migrate, database_url):
    migrate("upgrade", LEGACY_WRITABLE)
    user_id = uuid.uuid4()
    with db.cursor() as cur:
        cur.execute("INSERT INTO auth.users (id) VALUES (%s)", (str(user_id),))
        cur.execute("""INSERT INTO habit_tracker (child_name, week_period, user_id)
                       VALUES ('민준', '2025년 7월 21일 ~ 2025년 7월 27일', %s)""", (str(user_id),))
        cur.execute("SELECT * FROM migration.drain_sync_queue()")  # else 0013's downgrade warns of it
    result = migrate("downgrade", "base", check=False)
    assert_one_line_error(result, 1, "refusing to drop habit_tracker", "1 legacy rows")
    assert current_revision(db) == "0001_legacy_baseline"
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM habit_tracker")
        assert cur.fetchone() == (1,)

    migrate("downgrade", "base", "-x", "allow_legacy_drop=true")
    with db.cursor() as cur:
        cur.execute("SELECT to_regclass('public.habit_tracker')")
        assert cur.fetchone() == (None,)
