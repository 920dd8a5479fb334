"""The rename of Phase 3 (0039): habit_tracker becomes habit_tracker_old, every object of it renamed,
closed to the API roles, its status recorded; a blocked rename retries without queueing the
app's reads; the rollback brings the table back as it was; the contract gate refuses it."""
from __future__ import annotations

import psycopg2
import pytest
from psycopg2 import errors

from helpers import (CONTRACT_OVERRIDE, assert_verify_passed_here, attempt, current_revision, insert, run_cli, run_in_process, scalar,
                     unschedule_drain, upgrade_behind_a_reader)
from legacy_cases import U1, U2

REVISION = "0039_rename_legacy"
FROZEN = "0038_freeze_legacy"


def legacy_state(db, table: str) -> tuple:
    """Row count and content checksum (0037's definition) of the legacy table under `table`."""
    return (scalar(db, f"SELECT count(*) FROM {table}"),
            scalar(db, "SELECT migration.table_checksum(%s::REGCLASS)", (table,)))


def names_of(db, table: str) -> set[str]:
    """The table's own name, its sequence's, its constraints', indexes' and triggers'."""
    with db.cursor() as cur:
        cur.execute("""SELECT conname FROM pg_constraint WHERE conrelid = %(t)s::REGCLASS
                       UNION SELECT indexrelid::REGCLASS::TEXT FROM pg_index WHERE indrelid = %(t)s::REGCLASS
                       UNION SELECT tgname FROM pg_trigger WHERE tgrelid = %(t)s::REGCLASS AND NOT tgisinternal
                       UNION SELECT pg_get_serial_sequence(%(t)s, 'id')""", {"t": table})
        return {row[0] for row in cur.fetchall()}


def load_then_freeze(db, migrate) -> tuple:
    """Legacy rows synced at 0037, then the freeze; the legacy table's (rows, checksum)."""
    with db.cursor() as cur:
        cur.execute("INSERT INTO auth.users (id) VALUES (%s), (%s)", (U1, U2))
    unschedule_drain(db)
    insert(db, user=U1)
    insert(db, child="서연", user=U2, start="2025-09-01")
    migrate("upgrade", FROZEN)
    return legacy_state(db, "public.habit_tracker")


@pytest.mark.start_at("0037_legacy_archive_log")
def test_the_rename_retires_the_table_whole_and_its_rollback_brings_it_back(db, migrate, database_url):
    before = load_then_freeze(db, migrate)
    names_before = names_of(db, "public.habit_tracker")
    migrate("upgrade", REVISION)

    with pytest.raises(errors.UndefinedTable):
        db.cursor().execute("SELECT count(*) FROM habit_tracker")
    assert legacy_state(db, "public.habit_tracker_old") == before
    assert names_of(db, "public.habit_tracker_old") == {
        name.replace("habit_tracker", "habit_tracker_old", 1) for name in names_before}
    assert scalar(db, "SELECT count(*) FROM pg_policy WHERE polrelid = 'habit_tracker_old'::REGCLASS") == 0
    assert isinstance(attempt(db, "authenticated", "SELECT count(*) FROM habit_tracker_old"),
                      errors.InsufficientPrivilege)
    with db.cursor() as cur:
        cur.execute("SELECT legacy_rows, checksum, renamed_by FROM migration.retired_legacy_table")
        assert cur.fetchone() == (before[0], before[1], "postgres")
    assert_verify_passed_here(run_cli("scripts.commands.verify", "--target", "current", database_url=database_url),
                              database_url, target="current")

    back = run_in_process("scripts.commands.migrate", "downgrade", "-1", database_url=database_url)
    assert back.returncode == 0, back.stderr
    assert current_revision(db) == FROZEN
    assert legacy_state(db, "public.habit_tracker") == before
    assert names_of(db, "public.habit_tracker") == names_before
    assert scalar(db, "SELECT to_regclass('migration.retired_legacy_table')") is None
    rows = attempt(db, "authenticated", "SELECT count(*) FROM habit_tracker", user=U1)
    assert rows == [(1,)]  # the policy is back: the user's own row only
    assert_verify_passed_here(run_cli("scripts.commands.verify", "--target", "current", database_url=database_url),
                              database_url, target="current")


@pytest.mark.start_at("0037_legacy_archive_log")
def test_a_rename_behind_a_long_read_retries_and_the_apps_reads_never_queue(db, migrate, database_url):
    before = load_then_freeze(db, migrate)
    found = upgrade_behind_a_reader(database_url, REVISION, "habit_tracker", 2.5, *CONTRACT_OVERRIDE)
    assert found["result"].returncode == 0, found["result"].stderr
    assert "lock on public.habit_tracker not available (attempt 1 of 12)" in found["result"].stderr
    assert found["waiting"] == {"AccessExclusiveLock"}
    assert found["elapsed"] > 2.0
    # Reads of the table went on while the rename waited, each queued at most one 200 ms attempt.
    assert len(found["app_reads"]) > 10 and max(found["app_reads"]) < 0.6, found["app_reads"]
    assert current_revision(db) == REVISION
    assert legacy_state(db, "public.habit_tracker_old") == before


@pytest.mark.start_at("0037_legacy_archive_log")
def test_a_rename_behind_a_read_that_never_ends_stops_with_55p03_and_renames_nothing(db, migrate, database_url):
    before = load_then_freeze(db, migrate)
    found = upgrade_behind_a_reader(database_url, REVISION, "habit_tracker", None, *CONTRACT_OVERRIDE)
    assert found["result"].returncode == 1
    assert "could not lock public.habit_tracker in ACCESS EXCLUSIVE mode after 12 attempts" in found["result"].stderr
    assert max(found["app_reads"]) < 0.6, found["app_reads"]
    assert current_revision(db) == FROZEN
    assert legacy_state(db, "public.habit_tracker") == before


@pytest.mark.start_at("0037_legacy_archive_log")
def test_the_contract_gate_refuses_the_rename_while_the_read_switch_is_below_100(db, migrate, database_url):
    before = load_then_freeze(db, migrate)
    refused = run_in_process("scripts.commands.migrate", "upgrade", REVISION, database_url=database_url)
    assert refused.returncode == 1
    assert "FAIL read switch at 100%" in refused.stdout + refused.stderr
    assert f"{REVISION} not applied" in refused.stderr
    assert current_revision(db) == FROZEN
    assert legacy_state(db, "public.habit_tracker") == before
    with psycopg2.connect(database_url) as conn:
        assert scalar(conn, "SELECT to_regclass('public.habit_tracker_old')") is None


@pytest.mark.start_at("0037_legacy_archive_log")
def test_the_rename_refuses_a_table_whose_freeze_was_disabled(db, migrate, database_url):
    before = load_then_freeze(db, migrate)
    with db.cursor() as cur:  # the owner can: the revision must notice
        cur.execute("ALTER TABLE habit_tracker DISABLE TRIGGER trigger_habit_tracker_frozen")
    refused = run_in_process("scripts.commands.migrate", "upgrade", REVISION, *CONTRACT_OVERRIDE,
                             database_url=database_url)
    assert refused.returncode == 1
    assert "habit_tracker is not frozen (trigger_habit_tracker_frozen missing or disabled): not renamed" in refused.stderr
    assert current_revision(db) == FROZEN
    assert legacy_state(db, "public.habit_tracker") == before
    assert scalar(db, "SELECT to_regclass('migration.retired_legacy_table')") is None
