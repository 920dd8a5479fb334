"""The majors the throwaway servers run (scripts/dev/pg_majors.py) and verify without pg_cron
(scripts/dev/verify_without_pg_cron.py), on whichever major this run uses (PG=15|17|18)."""
from __future__ import annotations

import psycopg2
import pytest

from helpers import LEGACY_WRITABLE, run_cli, scalar
from scripts.dev import pg_majors


def test_the_server_is_the_selected_major(db):
    assert scalar(db, "SELECT current_setting('server_version_num')::INT / 10000") == int(pg_majors.selected_major())


def test_an_unknown_major_is_one_line_and_exit_2():
    result = run_cli("scripts.dev.pg_majors", "install", "16", database_url=None)
    assert result.returncode == 2
    assert result.stderr == "pg_majors: error: PG='16': this tooling runs PostgreSQL 15, 17, 18\n"
    bad = run_cli("scripts.dev.throwaway_pg", "up", "never-started", database_url=None, PG_MAJOR="16")
    assert (bad.returncode, bad.stderr) == (2, "throwaway_pg: error: PG_MAJOR='16': this tooling runs PostgreSQL 15, 17, 18\n")


def test_each_full_library_name_gets_the_name_the_binaries_ask_for(tmp_path):
    for name in ("libicuuc.so.60.2", "libpq.so.5.17", "libz.so.1"):
        (tmp_path / name).write_bytes(b"")
    pg_majors._link_sonames(tmp_path)
    links = {p.name: p.readlink().name for p in tmp_path.iterdir() if p.is_symlink()}
    assert links == {"libicuuc.so.60": "libicuuc.so.60.2", "libpq.so.5": "libpq.so.5.17"}


@pytest.mark.start_at(LEGACY_WRITABLE)
def test_verify_without_pg_cron_excuses_only_the_cron_jobs_parts(db, database_url, admin_url, migrate):
    migrate("upgrade", LEGACY_WRITABLE)
    # A project whose pg_cron switch is off (PostgreSQL 17 and 18 here are so already).
    with psycopg2.connect(admin_url) as admin, admin.cursor() as cur:
        cur.execute("DROP EXTENSION IF EXISTS pg_cron")
    admin.close()
    plain = run_cli("scripts.commands.verify", "--target", "current", database_url=database_url)
    assert plain.returncode == 1 and "2 check(s) failed: idempotency cleanup, dual-write trigger" in plain.stderr

    excused = run_cli("scripts.dev.verify_without_pg_cron", "--target", "current", database_url=database_url)
    assert excused.returncode == 0, excused.stdout + excused.stderr
    assert excused.stdout.splitlines()[-1].endswith(
        "checks passed; dual-write trigger, idempotency cleanup: FAIL only because pg_cron is absent on this server")

    # The drain job's line failing for another reason too is not excused.
    with db.cursor() as cur:
        cur.execute("ALTER TABLE habit_tracker DISABLE TRIGGER trigger_habit_tracker_dual_write")
    failed = run_cli("scripts.dev.verify_without_pg_cron", "--target", "current", database_url=database_url)
    assert failed.returncode == 1
    assert failed.stderr == "verify_without_pg_cron: FAILED: 1 check(s) failed: dual-write trigger\n"
