"""`make backfill`: the hand-written legacy set maps exactly as specified; a re-run is a no-op;
a backfill killed between or inside a batch resumes to the same result; concurrent legacy
writes during the run are not lost."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psycopg2
import pytest

import legacy_cases as cases
from helpers import LEGACY_WRITABLE, REPO_ROOT, drain, run_cli, scalar, starts_at

from scripts.commands import backfill
from scripts.db.errors import CheckFailed


@pytest.fixture
@starts_at(LEGACY_WRITABLE)
def legacy(db, migrate):
    migrate("upgrade", LEGACY_WRITABLE)
    return cases.load(db)


def quarantine(conn) -> dict[int, str]:
    with conn.cursor() as cur:
        cur.execute("SELECT legacy_id, reason FROM migration.backfill_quarantine")
        return dict(cur.fetchall())


def test_every_case_maps_exactly_as_specified(db, legacy, database_url):
    result = run_cli("scripts.commands.backfill", "--batch", "4", database_url=database_url)
    assert result.returncode == 0, result.stderr
    content = cases.new_schema_content(db)
    assert content["children"] == cases.EXPECTED_CHILDREN
    assert content["weeks"] == cases.EXPECTED_WEEKS
    assert content["habits"] == cases.EXPECTED_HABITS
    assert content["records"] == cases.EXPECTED_RECORDS
    assert quarantine(db) == {legacy[key]: reason for key, reason in cases.QUARANTINED.items()}
    total, quarantined = len(cases.LEGACY_ROWS), len(cases.QUARANTINED)
    assert (f"summary: {total} legacy rows: {total - quarantined} migrated, {quarantined} quarantined, "
            "0 in flight, 0 unaccounted") in result.stdout
    assert "  quarantined bad_habit_name: 2" in result.stdout.splitlines()
    assert cases.conflicts(db, legacy) == cases.EXPECTED_CONFLICTS
    with db.cursor() as cur:
        cur.execute("SELECT DISTINCT source_version FROM weeks UNION SELECT DISTINCT source_version FROM habit_records")
        assert cur.fetchall() == [("migration",)]
        cur.execute("SELECT theme, reflection ->> 'nextWeekGoal' FROM weeks WHERE id = migration.week_id(%s)",
                    (legacy["clean_two_habits_13_digit_id"],))
        assert cur.fetchone() == ("테마 clean_two_habits_13_digit_id", "clean_two_habits_13_digit_id")
    assert cases.out_of_sync_weeks(db) == 0


def test_rerun_changes_nothing(db, legacy, database_url):
    assert run_cli("scripts.commands.backfill", database_url=database_url).returncode == 0
    before = cases.full_dump(db)
    with db.cursor() as cur:
        cur.execute("SELECT max(updated_at) FROM weeks")
        last_update = cur.fetchone()[0]
    again = run_cli("scripts.commands.backfill", database_url=database_url)
    assert again.returncode == 0
    assert "this run wrote 0 weeks, 0 habits, 0 records and deleted 0 rows" in again.stdout
    assert cases.full_dump(db) == before
    with db.cursor() as cur:
        cur.execute("SELECT max(updated_at) FROM weeks")
        assert cur.fetchone()[0] == last_update


def test_repair_flag_is_retired_and_changes_nothing(db, legacy, database_url):
    """REPAIR_SUNDAY moved a Sunday start to the next Monday, shifting every day by one (the
    rows' own labels say Sunday-Saturday); since 0023 days are placed by date and the flag is a
    usage error."""
    before = cases.full_dump(db)
    result = run_cli("scripts.commands.backfill", "--repair-sunday-starts", "on", database_url=database_url)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "backfill: error: --repair-sunday-starts (REPAIR_SUNDAY) is retired since 0023_place_days_by_date: "
        "every day is placed on its own date"]
    assert cases.full_dump(db) == before


def test_killed_between_batches_resumes_to_the_same_result(db, legacy, database_url):
    reference = run_reference(db, database_url)

    class Killed(Exception):
        pass

    def die_after_third_batch(line: str) -> None:
        if line.startswith("batch 3:"):
            raise Killed

    conn = psycopg2.connect(database_url)
    with pytest.raises(Killed):
        backfill.run(conn, 2, log=die_after_third_batch)
    conn.close()
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM weeks")
        assert 0 < cur.fetchone()[0] < len(cases.EXPECTED_WEEKS), "stopped part-way"
    assert run_cli("scripts.commands.backfill", "--batch", "2", database_url=database_url).returncode == 0
    assert cases.full_dump(db) == reference


def test_killed_inside_a_batch_resumes_to_the_same_result(db, legacy, database_url):
    reference = run_reference(db, database_url)
    # Hold habit_records so that the first batch blocks inside its transaction, then SIGKILL it.
    blocker = psycopg2.connect(database_url)
    with blocker.cursor() as cur:
        cur.execute("LOCK TABLE habit_records IN ACCESS EXCLUSIVE MODE")
    proc = subprocess.Popen([sys.executable, "-m", "scripts.commands.backfill", "--batch", "50"], cwd=REPO_ROOT,
                            env={**os.environ, "DATABASE_URL": database_url},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: waiting_backends(db) > 0, "the batch never reached habit_records")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()
    wait_for(lambda: waiting_backends(db) == 0, "the killed batch's backend lingered")
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM weeks")
        assert cur.fetchone()[0] == 0, "the killed batch left nothing behind"
    assert run_cli("scripts.commands.backfill", database_url=database_url).returncode == 0
    assert cases.full_dump(db) == reference


def test_concurrent_legacy_writes_are_not_lost(db, legacy, database_url):
    writer = psycopg2.connect(database_url)
    writer.autocommit = True

    def write_while_running(line: str) -> None:
        if line.startswith("batch 1:"):  # the first batch is done; write behind and ahead of it
            with writer.cursor() as cur:
                cur.execute("UPDATE habit_tracker SET theme = 'changed', habits = '[]' WHERE id = %s",
                            (legacy["clean_two_habits_13_digit_id"],))
                cur.execute("DELETE FROM habit_tracker WHERE id = %s", (legacy["habits_null"],))
                cur.execute("""INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id)
                               VALUES ('새싹', 'new', '2025-09-01', '[{"id": 1, "name": "물 마시기",
                               "times": ["green", "", "", "", "", "", ""]}]', %s)""", (cases.U1,))

    conn = psycopg2.connect(database_url)
    summary = backfill.run(conn, 2, log=write_while_running)
    conn.close()
    writer.close()
    assert summary["unaccounted"] == 0
    assert cases.out_of_sync_weeks(db) == 0
    content = cases.new_schema_content(db)
    assert (cases.U1, "새싹", "2025-09-01", "2025-09-07") in content["weeks"]
    assert (cases.U1, "민준", "2025-07-28", "2025-08-03") not in content["weeks"]
    assert ("독서", "2025-07-21", "green") not in content["records"]


@pytest.mark.parametrize("queued", [True, False], ids=["queued", "not-queued"])
def test_a_row_queued_for_the_drain_at_the_final_check_is_in_flight_not_unaccounted(db, legacy, database_url, queued,
                                                                                     capsys):
    """After the catch-up, a rename takes row X out of its child-week and another sync (the drain,
    for a sibling's write) places that week again without it: X is in no placed week until the
    drain syncs it. Queued, it is in flight; the backfill fails only for a row nothing will sync."""
    rows = {}
    with db.cursor() as cur:
        cur.execute("SET migration.skip_sync_trigger = 'on'")  # older rows: the backfill maps them
        for key, start in (("moved", "2025-09-01"), ("sibling", "2025-09-02")):
            cur.execute("""INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id)
                           VALUES ('하늘', %s, %s, %s, %s) RETURNING id""",
                        (key, start, json.dumps([cases.habit(key, ["green", "", "", "", "", "", ""])]), cases.U1))
            rows[key] = cur.fetchone()[0]
        cur.execute("RESET migration.skip_sync_trigger")
    writer = psycopg2.connect(database_url)
    writer.autocommit = True

    def rename_after_the_catch_up(line: str) -> None:
        if line.startswith("catch-up:"):
            with writer.cursor() as cur:
                cur.execute("BEGIN")
                if not queued:  # as a write with the trigger switched off: nothing queued
                    cur.execute("SET LOCAL migration.skip_sync_trigger = 'on'")
                cur.execute("UPDATE habit_tracker SET child_name = '바다', updated_at = now() WHERE id = %s",
                            (rows["moved"],))
                cur.execute("COMMIT")
                cur.execute("SELECT migration.sync_legacy_ids(%s, 'dual_write')", ([rows["sibling"]],))

    conn = psycopg2.connect(database_url)
    summary = backfill.run(conn, 4, log=rename_after_the_catch_up)
    conn.close()
    writer.close()
    total, quarantined = len(cases.LEGACY_ROWS) + 2, len(cases.QUARANTINED)
    capsys.readouterr()
    if queued:
        assert (summary["migrated"], summary["quarantined_total"], summary["in_flight"], summary["unaccounted"]) == (
            total - quarantined - 1, quarantined, 1, 0)
        backfill.report(summary)  # exit 0
        out = capsys.readouterr().out.splitlines()
        assert out[0].startswith(f"summary: {total} legacy rows: {total - quarantined - 1} migrated, "
                                 f"{quarantined} quarantined, 1 in flight, 0 unaccounted; ")
        assert out[-1] == ("  in flight: 1 legacy rows written during the run wait in migration.sync_queue for the drain "
                           "(pg_cron job 'drain-sync-queue' or make sync-worker; make drift reports a stuck queue)")
        assert drain(db) == (1, 1, 0)  # the drain places it: nothing is lost
        assert cases.out_of_sync_weeks(db) == 0
        assert scalar(db, "SELECT count(*) FROM migration.placed_weeks WHERE %s = ANY(legacy_ids)", (rows["moved"],)) == 1
    else:
        assert (summary["in_flight"], summary["unaccounted"], summary["unaccounted_sample"]) == (0, 1, [rows["moved"]])
        with pytest.raises(CheckFailed, match=rf"^1 legacy rows neither migrated, quarantined nor queued for the drain "
                                              rf"\(first ids: {rows['moved']}\)$"):
            backfill.report(summary)


def run_reference(db, database_url) -> list:
    """The result of an uninterrupted backfill, after which the new tables are emptied again."""
    assert run_cli("scripts.commands.backfill", "--batch", "2", database_url=database_url).returncode == 0
    reference = cases.full_dump(db)
    with db.cursor() as cur:
        cur.execute("TRUNCATE children, weeks, habits, habit_records, habit_templates, migration.backfill_quarantine")
    return reference


def waiting_backends(db) -> int:
    with db.cursor() as cur:
        cur.execute("""SELECT count(*) FROM pg_stat_activity
                       WHERE datname = current_database() AND wait_event_type = 'Lock'""")
        return cur.fetchone()[0]


def wait_for(condition, message: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(0.05)


def test_bad_arguments_and_missing_mapping(database_url, migrate):
    result = run_cli("scripts.commands.backfill", "--batch", "0", database_url=database_url)
    assert result.returncode == 2 and "--batch must be a positive" in result.stderr
    migrate("upgrade", "0009_dual_write_trigger_phase0")
    result = run_cli("scripts.commands.backfill", database_url=database_url)
    assert result.returncode == 2 and "0010_legacy_mapping" in result.stderr and "Traceback" not in result.stderr


