"""The Phase 1 dual-write trigger (revisions 0012, 0013): every legacy write is queued and the
drain brings the new tables to exactly what the mapping gives, the switches work, and a failed
sync never loses (or blocks) the legacy write."""
from __future__ import annotations

import json

import psycopg2
import pytest

from helpers import LEGACY_WRITABLE, assert_no_drift, drain, drift, insert, needs_pg_cron, run_cli, scalar, write
from legacy_cases import U1, U2, WEEK, habit

PHASE1 = "0012_dual_write_trigger_sync"
QUEUED = "0013_dual_write_sync_queue"


def week_of(db, legacy_id):
    """The new side of one legacy row: (child, user, start, theme, source) and its habits/records."""
    with db.cursor() as cur:
        cur.execute("""SELECT c.name, w.user_id::TEXT, w.week_start_date::TEXT, w.theme, w.source_version
                       FROM weeks w JOIN children c ON c.id = w.child_id WHERE w.id = migration.week_id(%s)""",
                    (legacy_id,))
        week = cur.fetchone()
        cur.execute("""SELECT h.display_order, h.name, h.source_version FROM habits h
                       WHERE h.week_id = migration.week_id(%s) ORDER BY 1""", (legacy_id,))
        habits = cur.fetchall()
        cur.execute("""SELECT h.name, r.record_date::TEXT, r.status, r.source_version FROM habit_records r
                       JOIN habits h ON h.id = r.habit_id WHERE h.week_id = migration.week_id(%s) ORDER BY 1, 2""",
                    (legacy_id,))
        records = cur.fetchall()
    return week, habits, records


def test_insert_creates_child_week_habits_and_records(synced, database_url):
    legacy_id = insert(synced)
    week, habits, records = week_of(synced, legacy_id)
    assert week == ("민준", U1, "2025-07-21", "테마", "dual_write")
    assert habits == [(0, "독서", "dual_write"), (1, "줄넘기", "dual_write")]
    assert records == [("독서", "2025-07-21", "green", "dual_write"), ("독서", "2025-07-23", "red", "dual_write")]
    assert scalar(synced, "SELECT source_version FROM children") == "dual_write"
    assert scalar(synced, "SELECT count(*) FROM migration.sync_state WHERE legacy_id = %s", (legacy_id,)) == 1
    assert_no_drift(database_url)


UPDATES = {
    "habit added": ("""habits = habits || '[{"id": 9, "name": "피아노", "times": ["", "", "", "", "", "", "yellow"]}]'""",
                    lambda w, h, r: (h[-1][:2], r[-1][:3]) == ((2, "피아노"), ("피아노", "2025-07-27", "yellow"))),
    "habit removed": ("habits = habits - 0", lambda w, h, r: [x[1] for x in h] == ["줄넘기"] and r == []),
    "habit renamed": ("""habits = jsonb_set(habits, '{0,name}', '"책 읽기"')""",
                      lambda w, h, r: h[0][1] == "책 읽기" and {x[0] for x in r} == {"책 읽기"}),
    "habits reordered": ("habits = jsonb_build_array(habits -> 1, habits -> 0)",
                         lambda w, h, r: [x[1] for x in h] == ["줄넘기", "독서"]),
    "status changed": ("""habits = jsonb_set(habits, '{0,times,0}', '"yellow"')""",
                       lambda w, h, r: r[0][1:3] == ("2025-07-21", "yellow")),
    "status cleared": ("""habits = jsonb_set(habits, '{0,times,2}', '""')""",
                       lambda w, h, r: [x[1] for x in r] == ["2025-07-21"]),
    "theme, reflection and reward": ("""theme = '새 테마', reflection = '{"bestDay": "화"}', reward = '아이스크림'""",
                                     lambda w, h, r: w[3] == "새 테마"),
    "child renamed": ("child_name = '민준이'", lambda w, h, r: w[0] == "민준이"),
    "user changed": (f"user_id = '{U2}'", lambda w, h, r: w[1] == U2),
    "week moved": ("week_start_date = '2025-07-28'", lambda w, h, r: w[2] == "2025-07-28" and r[0][1] == "2025-07-28"),
}


@pytest.mark.parametrize("change", list(UPDATES))
def test_update_brings_the_new_rows_to_the_mapping(synced, database_url, change):
    assignment, expected = UPDATES[change]
    legacy_id = insert(synced)
    write(synced, f"UPDATE habit_tracker SET {assignment}, updated_at = now() WHERE id = %s", (legacy_id,))
    assert expected(*week_of(synced, legacy_id))
    # One child, the right one: a renamed or re-owned child leaves no empty child behind.
    assert scalar(synced, "SELECT count(*) FROM children") == 1
    assert_no_drift(database_url)


def test_delete_removes_the_week_and_the_child_once_unused(synced, database_url):
    first, second = insert(synced), insert(synced, start="2025-07-28")
    write(synced, "DELETE FROM habit_tracker WHERE id = %s", (first,))
    assert week_of(synced, first) == (None, [], [])
    assert scalar(synced, "SELECT count(*) FROM children") == 1
    write(synced, "DELETE FROM habit_tracker WHERE id = %s", (second,))
    assert scalar(synced, "SELECT count(*) FROM children") == 0
    assert scalar(synced, "SELECT count(*) FROM habit_records") == 0
    assert scalar(synced, "SELECT count(*) FROM migration.sync_state") == 0
    assert_no_drift(database_url)


def test_dirty_row_is_quarantined_and_a_clean_update_brings_it_in(synced, database_url):
    legacy_id = insert(synced, habits=[habit("독서", ["blue", "", "", "", "", "", ""])])
    assert scalar(synced, "SELECT reason FROM migration.backfill_quarantine WHERE legacy_id = %s", (legacy_id,)) == \
        "unknown_status"
    assert week_of(synced, legacy_id)[0] is None
    assert_no_drift(database_url)
    write(synced, """UPDATE habit_tracker SET habits = jsonb_set(habits, '{0,times,0}', '"green"') WHERE id = %s""",
          (legacy_id,))
    assert scalar(synced, "SELECT count(*) FROM migration.backfill_quarantine") == 0
    assert week_of(synced, legacy_id)[2] == [("독서", "2025-07-21", "green", "dual_write")]
    assert_no_drift(database_url)


def test_a_second_row_of_the_child_week_merges_and_keeps_its_days_when_the_first_goes(synced, database_url):
    """Two legacy rows of one child and Monday (labels differ): one week, merged (0023; before,
    the second was quarantined as duplicate_week). The first deleted, the second's days stay,
    now under an id of its own."""
    first = insert(synced, period="first")
    second = insert(synced, period="second", habits=[habit("피아노", ["green"] + WEEK[1:])])
    assert scalar(synced, "SELECT count(*) FROM migration.backfill_quarantine") == 0
    week, habits, records = week_of(synced, first)
    assert [h[1] for h in habits] == ["독서", "줄넘기", "피아노"]
    assert ("피아노", "2025-07-21", "green", "dual_write") in records
    write(synced, "DELETE FROM habit_tracker WHERE id = %s", (first,))
    assert week_of(synced, first)[0] is None
    assert week_of(synced, second)[1] == [(0, "피아노", "dual_write")]
    assert_no_drift(database_url)


def test_skip_switch_is_transaction_local(synced, database_url):
    synced.autocommit = False
    with synced.cursor() as cur:
        cur.execute("SET LOCAL migration.skip_sync_trigger = 'on'")
        skipped = insert(synced, then_drain=False)
        assert scalar(synced, "SELECT count(*) FROM migration.sync_queue") == 0
    synced.commit()
    synced.autocommit = True
    synced_after = insert(synced, start="2025-07-28")
    assert week_of(synced, skipped)[0] is None and week_of(synced, synced_after)[0] is not None
    code, report = drift(database_url)
    assert code == 1 and {(f["kind"], f["legacy_id"]) for f in report["examples"]} == {("MISSING_WEEK", skipped)}


def test_global_switch_verify_mode_and_resync(synced, database_url):
    off = run_cli("scripts.commands.sync_trigger", "off", database_url=database_url)
    assert off.returncode == 0 and off.stdout.startswith("dual-write sync trigger: off")
    verify = run_cli("scripts.commands.verify", database_url=database_url)
    assert "mode queued sync (Phase 1); syncing OFF" in verify.stdout
    while_off = insert(synced)
    existing = insert(synced, start="2025-07-28")
    write(synced, "UPDATE habit_tracker SET child_name = '서연' WHERE id = %s", (existing,))
    assert scalar(synced, "SELECT count(*) FROM weeks") == 0
    assert scalar(synced, "SELECT count(*) FROM migration.sync_queue") == 0
    assert drift(database_url)[0] == 1
    assert run_cli("scripts.commands.sync_trigger", "on", database_url=database_url).returncode == 0
    assert "mode queued sync (Phase 1); syncing ON" in run_cli("scripts.commands.verify", database_url=database_url).stdout
    resync = run_cli("scripts.commands.resync", database_url=database_url)
    assert resync.returncode == 0 and resync.stdout.strip() == "resynced 2 of 2 legacy rows out of step"
    assert week_of(synced, while_off)[0][0] == "민준" and week_of(synced, existing)[0][0] == "서연"
    assert_no_drift(database_url)


def test_failed_sync_keeps_the_legacy_write_and_resync_repairs_it(synced, database_url):
    # An application-created child (random id) already holds (user, name): the mapping's child
    # id cannot be inserted (uq_children_user_name).
    app_child = scalar(synced, "INSERT INTO children (user_id, name) VALUES (%s, '민준') RETURNING id::TEXT", (U1,))
    synced.notices.clear()
    legacy_id = insert(synced)
    assert scalar(synced, "SELECT count(*) FROM habit_tracker WHERE id = %s", (legacy_id,)) == 1
    assert any("dual-write sync of habit_tracker id" in n and "make resync" in n for n in synced.notices)
    with synced.cursor() as cur:
        cur.execute("SELECT operation, sqlstate, attempts FROM migration.sync_failures WHERE legacy_id = %s",
                    (legacy_id,))
        assert cur.fetchone() == ("INSERT", "23505", 1)
    assert scalar(synced, "SELECT count(*) FROM weeks") + scalar(synced, "SELECT count(*) FROM habits") == 0
    code, report = drift(database_url)
    kinds = {(f["severity"], f["kind"], f["legacy_id"]) for f in report["examples"]}
    assert code == 1 and ("HIGH", "SYNC_FAILED", legacy_id) in kinds and ("CRITICAL", "MISSING_WEEK", legacy_id) in kinds
    still = run_cli("scripts.commands.resync", database_url=database_url)
    assert still.returncode == 1 and f"legacy row {legacy_id} still fails" in still.stderr
    assert scalar(synced, "SELECT attempts FROM migration.sync_failures WHERE legacy_id = %s", (legacy_id,)) == 2
    with synced.cursor() as cur:
        cur.execute("DELETE FROM children WHERE id = %s", (app_child,))
    repaired = run_cli("scripts.commands.resync", database_url=database_url)
    assert repaired.returncode == 0, repaired.stderr
    assert scalar(synced, "SELECT count(*) FROM migration.sync_failures") == 0
    assert_no_drift(database_url)


def test_a_deferred_unique_violation_is_caught_before_commit(synced, database_url):
    """The week's (child, start) unique is deferrable: it must fail inside the trigger, not at COMMIT."""
    first = insert(synced)
    child = scalar(synced, "SELECT child_id::TEXT FROM weeks")
    # An application week (not the mapping's) for the same child and Monday as the next row.
    synced.cursor().execute("INSERT INTO weeks (user_id, child_id, week_start_date, week_end_date) "
                            "VALUES (%s, %s, '2025-07-28', '2025-08-03')", (U1, child))
    second = insert(synced, start="2025-07-28")
    assert scalar(synced, "SELECT sqlstate FROM migration.sync_failures WHERE legacy_id = %s", (second,)) == "23505"
    assert scalar(synced, "SELECT count(*) FROM habit_tracker WHERE id IN (%s, %s)", (first, second)) == 2


def test_application_role_writes_are_synced(synced, database_url):
    """The app writes as `authenticated` under RLS; the trigger (SECURITY DEFINER) still syncs."""
    synced.autocommit = False
    with synced.cursor() as cur:
        cur.execute("SET LOCAL ROLE authenticated")
        cur.execute("SELECT set_config('request.jwt.claims', %s, TRUE)", (json.dumps({"sub": U1}),))
        legacy_id = insert(synced, then_drain=False)
    synced.commit()
    synced.autocommit = True
    drain(synced)
    assert week_of(synced, legacy_id)[0][4] == "dual_write"
    assert_no_drift(database_url)


def test_downgrade_returns_to_log_only(synced, database_url, migrate):
    migrate("downgrade", "0011_sync_state")
    assert "mode log-only (Phase 0)" in run_cli("scripts.commands.verify", "--target", "current",
                                                database_url=database_url).stdout
    synced.notices.clear()
    legacy_id = insert(synced, then_drain=False)
    assert any(f"operation=INSERT, id={legacy_id}" in n for n in synced.notices)
    assert scalar(synced, "SELECT count(*) FROM weeks") == 0
    # Back up: the row written while log-only is not in the new tables, so Phase 2's gate
    # refuses the first RLS stage (0026 is reached) until the backfill has copied it.
    refused = migrate("upgrade", "head", check=False)
    assert refused.returncode == 1 and "FAIL drift clean" in refused.stderr, refused.stderr
    assert scalar(synced, "SELECT version_num FROM alembic_version") == "0026_placed_conflicts_hash"
    assert run_cli("scripts.commands.backfill", database_url=database_url).returncode == 0
    migrate("upgrade", LEGACY_WRITABLE)
    assert "mode queued sync (Phase 1); syncing ON" in run_cli("scripts.commands.verify", database_url=database_url).stdout


@pytest.mark.start_at("0011_sync_state")
def test_switch_and_resync_refuse_a_database_without_the_trigger(database_url, migrate):
    migrate("upgrade", "0011_sync_state")
    for module in ("scripts.commands.sync_trigger", "scripts.commands.resync"):
        result = run_cli(module, database_url=database_url)
        assert result.returncode == 2 and PHASE1 in result.stderr and "Traceback" not in result.stderr
    bad = run_cli("scripts.commands.sync_trigger", "sideways", database_url=database_url)
    assert bad.returncode == 2 and bad.stderr.startswith("sync_trigger: error: usage")



# --- the queue and its drain (revision 0013) -----------------------------------------------

def test_a_legacy_write_only_queues_and_the_drain_syncs_it(synced, database_url):
    legacy_id = insert(synced, then_drain=False)
    with synced.cursor() as cur:
        cur.execute("UPDATE habit_tracker SET theme = '바뀐 테마' WHERE id = %s", (legacy_id,))
        cur.execute("SELECT legacy_id, operation FROM migration.sync_queue ORDER BY id")
        assert cur.fetchall() == [(legacy_id, "INSERT"), (legacy_id, "UPDATE")]
    assert scalar(synced, "SELECT count(*) FROM weeks") + scalar(synced, "SELECT count(*) FROM children") == 0
    # In flight: drift leaves the queued row out instead of reporting it missing.
    code, report = drift(database_url)
    assert code == 0 and report["checked"]["queued"] == 1 and report["checked"]["left_out_recent"] == 1
    assert drain(synced) == (2, 1, 0)
    assert week_of(synced, legacy_id)[0] == ("민준", U1, "2025-07-21", "바뀐 테마", "dual_write")
    assert scalar(synced, "SELECT count(*) FROM migration.sync_queue") == 0
    assert drain(synced) == (0, 0, 0)
    assert_no_drift(database_url)


def test_legacy_writes_go_on_while_the_new_tables_are_locked(synced, database_url):
    """The write path touches only habit_tracker and the queue: a lock on the new tables (a
    long drain, a DBA's ALTER) cannot block or fail a legacy write."""
    kept = insert(synced)
    blocker = psycopg2.connect(database_url)
    blocker.cursor().execute("LOCK TABLE weeks, habits, habit_records, children IN ACCESS EXCLUSIVE MODE")
    try:
        with synced.cursor() as cur:
            cur.execute("SET lock_timeout = '200ms'")
            added = insert(synced, start="2025-07-28", then_drain=False)
            cur.execute("UPDATE habit_tracker SET theme = '새' WHERE id = %s", (kept,))
            cur.execute("DELETE FROM habit_tracker WHERE id = %s", (added,))
            cur.execute("RESET lock_timeout")
        assert scalar(synced, "SELECT count(*) FROM migration.sync_queue") == 3
    finally:
        blocker.rollback()
        blocker.close()
    assert drain(synced) == (3, 2, 0)
    assert week_of(synced, kept)[0][3] == "새" and week_of(synced, added)[0] is None
    assert_no_drift(database_url)


def test_one_drain_at_a_time(synced, database_url):
    insert(synced, then_drain=False)
    first = psycopg2.connect(database_url)
    try:
        with first.cursor() as cur:
            cur.execute("SELECT * FROM migration.drain_sync_queue()")
            assert cur.fetchone() == (1, 1, 0)
            later = insert(synced, start="2025-07-28", then_drain=False)
            # The first drain's transaction is still open: a second drain returns at once.
            assert drain(synced) == (0, 0, 0)
            assert scalar(synced, "SELECT count(*) FROM migration.sync_queue WHERE legacy_id = %s", (later,)) == 1
        first.commit()
    finally:
        first.close()
    assert drain(synced) == (1, 1, 0) and week_of(synced, later)[0] is not None
    assert_no_drift(database_url)


def test_a_backlog_nobody_drains_is_reported(synced, database_url):
    legacy_id = insert(synced, then_drain=False)
    synced.cursor().execute("UPDATE migration.sync_queue SET enqueued_at = now() - INTERVAL '10 minutes'")
    code, report = drift(database_url)
    assert code == 1 and [(f["severity"], f["kind"]) for f in report["examples"]] == [("HIGH", "SYNC_BACKLOG")]
    assert "1 legacy rows wait in migration.sync_queue" in report["examples"][0]["detail"]
    assert drain(synced) == (1, 1, 0) and week_of(synced, legacy_id)[0] is not None
    assert_no_drift(database_url)


def test_sync_drain_cli_reports_and_fails_on_unsyncable_rows(synced, database_url):
    status = run_cli("scripts.commands.sync_queue", "status", database_url=database_url)
    assert status.returncode == 0 and status.stdout.startswith("sync queue: 0 queued writes of 0 legacy rows")
    synced.cursor().execute("INSERT INTO children (user_id, name) VALUES (%s, '민준')", (U1,))
    blocked = insert(synced, then_drain=False)
    other = insert(synced, child="서연", then_drain=False)
    result = run_cli("scripts.commands.sync_queue", "drain", database_url=database_url)
    assert result.returncode == 1, result.stderr
    assert result.stdout.strip() == "drained 2 queued legacy writes: 1 legacy rows synced, 1 failed"
    assert "1 legacy rows failed to sync (migration.sync_failures): make resync" in result.stderr
    assert "Traceback" not in result.stderr
    # The clean row went in; the failing one is recorded with the write's own operation.
    assert week_of(synced, other)[0] is not None
    with synced.cursor() as cur:
        cur.execute("SELECT legacy_id, operation, sqlstate FROM migration.sync_failures")
        assert cur.fetchall() == [(blocked, "INSERT", "23505")]
    bad = run_cli("scripts.commands.sync_queue", "sideways", database_url=database_url)
    assert bad.returncode == 2 and bad.stderr.startswith("sync_queue: error: usage")


@needs_pg_cron
@pytest.mark.start_at(LEGACY_WRITABLE)
def test_drain_job_is_scheduled_with_pg_cron(db, migrate):
    migrate("upgrade", LEGACY_WRITABLE)
    with db.cursor() as cur:
        cur.execute("SELECT schedule, command FROM cron.job WHERE jobname = 'drain-sync-queue'")
        assert cur.fetchall() == [("* * * * *", "SELECT * FROM migration.drain_sync_queue(5000)")]
    migrate("downgrade", PHASE1)
    assert scalar(db, "SELECT count(*) FROM cron.job WHERE jobname = 'drain-sync-queue'") == 0


def test_downgrade_to_synchronous_sync_keeps_undrained_writes_for_resync(synced, database_url, migrate):
    waiting = insert(synced, then_drain=False)
    result = migrate("downgrade", PHASE1)
    assert "WARNING:  1 queued legacy rows were not drained: `make resync` syncs them" in result.stderr
    verify = run_cli("scripts.commands.verify", "--target", "current", database_url=database_url)
    assert "mode sync (Phase 1); syncing ON" in verify.stdout
    synced_at_once = insert(synced, start="2025-07-28", then_drain=False)
    assert week_of(synced, synced_at_once)[0] is not None and week_of(synced, waiting)[0] is None
    assert run_cli("scripts.commands.resync", database_url=database_url).returncode == 0
    assert_no_drift(database_url)
    migrate("upgrade", QUEUED)
    assert "mode queued sync (Phase 1)" in run_cli("scripts.commands.verify", database_url=database_url).stdout
