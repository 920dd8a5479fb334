"""`make drift` after a clean backfill: each kind of drift, injected alone, is found with the
right severity and pinpointed; a clean backfill shows none; alerts reach a local receiver."""
from __future__ import annotations

import http.server
import json
import threading

import psycopg2
import pytest

import legacy_cases as cases
from helpers import drift, run_cli, run_in_process, scalar, starts_at

from scripts.commands.seed_legacy import seed


@pytest.fixture
@starts_at("head")
def backfilled(db, migrate, database_url):
    migrate("upgrade", "head")
    ids = cases.load(db)
    assert run_in_process("scripts.commands.backfill", database_url=database_url).returncode == 0
    # The legacy writes these tests make stand for writes no sync saw (the trigger skipped or
    # switched off): drift must find them.
    with db.cursor() as cur:
        cur.execute("SET migration.skip_sync_trigger = 'on'")
    return ids


def only_finding(report) -> dict:
    assert report["findings"] == 1, report
    return report["examples"][0]


def test_clean_backfill_has_no_drift_and_reports_known_exceptions(backfilled, database_url):
    code, report = drift(database_url)
    assert code == 0 and report["drift"] is False
    assert report["quarantine"] == {"bad_child_name": 1, "bad_habit": 1, "bad_habit_name": 2, "duplicate_habit_name": 1,
                                    "duplicate_week": 1, "habits_not_array": 1, "no_user": 1, "no_week_start": 1,
                                    "not_monday": 2, "times_not_array": 1, "times_too_long": 1, "unknown_status": 1}
    assert report["source_versions"]["weeks"] == {"migration": len(cases.EXPECTED_WEEKS)}
    # Every row is unchanged since the backfill recorded it: only the one child-week claimed by
    # two legacy rows is re-mapped (always), and the recorded fingerprints equal the tables'.
    assert report["checked"]["remapped"] == 2
    assert report["checked"]["legacy_rows"] == len(cases.LEGACY_ROWS)
    text = run_cli("scripts.commands.drift", database_url=database_url)
    assert text.returncode == 0 and text.stdout.splitlines()[-1] == "no drift"


def record_of(db, legacy_id, status):
    return scalar(db, """SELECT r.id::TEXT FROM habit_records r JOIN habits h ON h.id = r.habit_id
                         WHERE h.week_id = migration.week_id(%s) AND r.status = %s LIMIT 1""", (legacy_id, status))


def test_deleted_record(db, backfilled, database_url):
    legacy_id = backfilled["clean_two_habits_13_digit_id"]
    record = record_of(db, legacy_id, "red")
    with db.cursor() as cur:
        cur.execute("DELETE FROM habit_records WHERE id = %s", (record,))
    code, report = drift(database_url)
    finding = only_finding(report)
    assert code == 1
    assert (finding["severity"], finding["kind"], finding["legacy_id"], finding["new_ids"]) == (
        "HIGH", "MISSING_RECORD", legacy_id, [record])


def test_changed_status(db, backfilled, database_url):
    legacy_id = backfilled["clean_two_habits_13_digit_id"]
    record = record_of(db, legacy_id, "yellow")
    with db.cursor() as cur:
        cur.execute("UPDATE habit_records SET status = 'green' WHERE id = %s", (record,))
    finding = only_finding(drift(database_url)[1])
    assert (finding["severity"], finding["kind"], finding["legacy_id"], finding["new_ids"]) == (
        "MEDIUM", "STATUS_MISMATCH", legacy_id, [record])
    assert finding["detail"] == "green on 2025-07-27, legacy says yellow"


def test_added_habit(db, backfilled, database_url):
    legacy_id = backfilled["times_short"]
    with db.cursor() as cur:
        cur.execute("INSERT INTO habits (week_id, name, display_order) VALUES (migration.week_id(%s), '새 습관', 1) "
                    "RETURNING id::TEXT", (legacy_id,))
        habit_id = cur.fetchone()[0]
    finding = only_finding(drift(database_url)[1])
    assert (finding["severity"], finding["kind"], finding["legacy_id"], finding["new_ids"]) == (
        "MEDIUM", "EXTRA_HABIT", legacy_id, [habit_id])


def test_renamed_habit(db, backfilled, database_url):
    legacy_id = backfilled["times_short"]
    habit_id = scalar(db, "SELECT id::TEXT FROM habits WHERE week_id = migration.week_id(%s)", (legacy_id,))
    with db.cursor() as cur:
        cur.execute("UPDATE habits SET name = '이 닦기' WHERE id = %s", (habit_id,))
    finding = only_finding(drift(database_url)[1])
    assert (finding["severity"], finding["kind"], finding["legacy_id"], finding["new_ids"]) == (
        "MEDIUM", "HABIT_RENAMED", legacy_id, [habit_id])


def test_moved_week(db, backfilled, database_url):
    legacy_id = backfilled["label_disagrees_date_wins"]
    with db.cursor() as cur:
        cur.execute("UPDATE weeks SET week_start_date = '2025-09-01', week_end_date = '2025-09-07' "
                    "WHERE id = migration.week_id(%s) RETURNING id::TEXT", (legacy_id,))
        week_id = cur.fetchone()[0]
    code, report = drift(database_url)
    assert code == 1
    kinds = {(f["severity"], f["kind"], f["legacy_id"], tuple(f["new_ids"])) for f in report["examples"]}
    assert kinds == {("HIGH", "WEEK_MOVED", legacy_id, (week_id,))}


def test_deleted_week(db, backfilled, database_url):
    legacy_id = backfilled["clean_two_habits_13_digit_id"]
    week_id = scalar(db, "DELETE FROM weeks WHERE id = migration.week_id(%s) RETURNING id::TEXT", (legacy_id,))
    finding = only_finding(drift(database_url)[1])
    assert (finding["severity"], finding["kind"], finding["legacy_id"], finding["new_ids"]) == (
        "CRITICAL", "MISSING_WEEK", legacy_id, [week_id])


def test_renamed_child(db, backfilled, database_url):
    child_id = scalar(db, "UPDATE children SET name = '서연이' WHERE name = '서연' RETURNING id::TEXT")
    finding = only_finding(drift(database_url)[1])
    assert (finding["severity"], finding["kind"], finding["new_ids"]) == ("HIGH", "CHILD_RENAMED", [child_id])
    assert finding["detail"] == "named '서연이', legacy says '서연'"


def test_orphan_row(db, backfilled, database_url, admin_url):
    # A bulk load that skipped the FK triggers: only the platform's superuser can
    # (session_replication_role), so it fabricates the orphan.
    with psycopg2.connect(admin_url) as admin, admin.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute("INSERT INTO habit_records (habit_id, record_date, status) "
                    "VALUES (gen_random_uuid(), '2025-07-21', 'green') RETURNING id::TEXT")
        record = cur.fetchone()[0]
    admin.close()
    finding = only_finding(drift(database_url)[1])
    assert (finding["severity"], finding["kind"], finding["new_ids"]) == ("CRITICAL", "ORPHAN", [record])
    assert finding["detail"] == "1 rows of habit_records break fk_habit_records_habit_id"


def test_legacy_row_added_after_backfill(db, backfilled, database_url):
    with db.cursor() as cur:
        cur.execute("""INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id)
                       VALUES ('민준', 'late', '2025-09-01', '[]', %s) RETURNING id""", (cases.U1,))
        legacy_id = cur.fetchone()[0]
    finding = only_finding(drift(database_url)[1])
    assert (finding["severity"], finding["kind"], finding["legacy_id"]) == ("CRITICAL", "MISSING_WEEK", legacy_id)
    # Written seconds ago: --min-age leaves it out as a write in flight.
    code, report = drift(database_url, "--min-age", "600")
    assert code == 0 and report["checked"]["left_out_recent"] == 1


def test_deleted_legacy_row_leaves_an_extra_week(db, backfilled, database_url):
    legacy_id = backfilled["times_short"]
    with db.cursor() as cur:
        cur.execute("DELETE FROM habit_tracker WHERE id = %s", (legacy_id,))
    finding = only_finding(drift(database_url)[1])
    assert (finding["severity"], finding["kind"]) == ("HIGH", "EXTRA_WEEK")
    assert finding["new_ids"] == [scalar(db, "SELECT migration.week_id(%s)::TEXT", (legacy_id,))]


def test_legacy_update_that_was_never_synced_is_remapped_and_found(db, backfilled, database_url):
    """With the Phase 0 trigger nothing syncs a legacy write: the row's hash no longer matches."""
    legacy_id = backfilled["clean_two_habits_13_digit_id"]
    with db.cursor() as cur:
        cur.execute("""UPDATE habit_tracker SET habits = jsonb_set(habits, '{0,times,0}', '"yellow"')
                       WHERE id = %s""", (legacy_id,))
    record = scalar(db, "SELECT migration.record_id(%s, 0, 0)::TEXT", (legacy_id,))
    code, report = drift(database_url)
    finding = only_finding(report)
    assert (finding["severity"], finding["kind"], finding["legacy_id"], finding["new_ids"]) == (
        "MEDIUM", "STATUS_MISMATCH", legacy_id, [record])
    # The row and the other legacy row of its child-week (the quarantined duplicate) are re-mapped.
    assert report["checked"]["remapped"] == 2


def test_deleting_the_claiming_row_frees_its_duplicate(db, backfilled, database_url):
    """duplicate_week looks across rows: the unchanged duplicate is re-mapped with its group."""
    claiming, duplicate = backfilled["clean_two_habits_13_digit_id"], backfilled["duplicate_week"]
    with db.cursor() as cur:
        cur.execute("DELETE FROM habit_tracker WHERE id = %s", (claiming,))
    code, report = drift(database_url)
    kinds = {(f["kind"], f["legacy_id"]) for f in report["examples"]}
    assert code == 1 and ("MISSING_WEEK", duplicate) in kinds and ("EXTRA_WEEK", None) in kinds


def test_changed_policy_remaps_every_row(db, backfilled, database_url):
    with db.cursor() as cur:
        cur.execute("UPDATE migration.settings SET value = 'true' WHERE name = 'repair_sunday_starts'")
    code, report = drift(database_url)
    # The Sunday row now maps (to its Monday), and its child 지우 had no other week.
    assert {(f["kind"], f["legacy_id"]) for f in report["examples"]} == {
        ("MISSING_WEEK", backfilled["sunday_start"]), ("MISSING_CHILD", None)}
    assert report["checked"]["remapped"] == len(cases.LEGACY_ROWS)


@pytest.mark.start_at("head")
def test_realistic_generator_at_10000_weeks_has_no_drift(db, migrate, database_url):
    migrate("upgrade", "head")
    seed(db, 10000, seed=3, dirty_share=0.05)
    assert run_in_process("scripts.commands.backfill", "--batch", "2000", database_url=database_url).returncode == 0
    code, report = drift(database_url)
    assert code == 0, report["by_kind"]
    assert report["checked"]["legacy_rows"] == 10000
    assert report["checked"]["weeks_compared"] == scalar(db, "SELECT count(*) FROM weeks") > 6000


class Receiver(http.server.BaseHTTPRequestHandler):
    bodies: list = []
    status = 204

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers["Content-Length"])
        Receiver.bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(Receiver.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.bodies, Receiver.status = [], 204
    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhook", Receiver
    server.shutdown()
    thread.join()


def test_drift_posts_an_alert_with_the_most_severe_findings(db, backfilled, database_url, receiver):
    url, received = receiver
    with db.cursor() as cur:
        cur.execute("DELETE FROM weeks WHERE id = migration.week_id(%s)", (backfilled["clean_two_habits_13_digit_id"],))
        cur.execute("UPDATE habit_records SET status = 'red' WHERE status = 'green'")
    result = run_cli("scripts.commands.drift", database_url=database_url, DRIFT_WEBHOOK_URL=url)
    assert result.returncode == 1
    [message] = received.bodies
    embed = message["embeds"][0]
    assert embed["title"].startswith("Schema drift detected")
    assert embed["description"].startswith("4 findings")
    assert embed["fields"][0]["name"] == "CRITICAL: MISSING_WEEK"
    assert len(embed["fields"]) == 4


def test_failing_webhook_is_reported_and_keeps_the_exit_code(db, backfilled, database_url, receiver):
    url, received = receiver
    received.status = 500
    with db.cursor() as cur:
        cur.execute("UPDATE habit_records SET status = 'red' WHERE status = 'yellow'")
    result = run_cli("scripts.commands.drift", database_url=database_url, DRIFT_WEBHOOK_URL=url)
    assert result.returncode == 1
    assert "drift: alert not sent: webhook answered HTTP 500" in result.stderr
    unreachable = run_cli("scripts.commands.drift", database_url=database_url, DRIFT_WEBHOOK_URL="http://127.0.0.1:1/x")
    assert unreachable.returncode == 1 and "alert not sent: webhook unreachable" in unreachable.stderr


def test_no_alert_without_drift(backfilled, database_url, receiver):
    url, received = receiver
    assert run_cli("scripts.commands.drift", database_url=database_url, DRIFT_WEBHOOK_URL=url).returncode == 0
    assert received.bodies == []


def test_could_not_run(database_url, migrate):
    result = run_cli("scripts.commands.drift", database_url="postgresql://postgres@127.0.0.1:1/x")
    assert result.returncode == 2 and "cannot connect" in result.stderr
    migrate("upgrade", "0010_legacy_mapping")
    result = run_cli("scripts.commands.drift", database_url=database_url)
    assert result.returncode == 2 and "0011_sync_state" in result.stderr and "Traceback" not in result.stderr
