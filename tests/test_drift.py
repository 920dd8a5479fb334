"""`make drift` after a clean backfill: each kind of drift, injected alone, is found with the
right severity and pinpointed, by the incremental check and by FULL alike (tests/helpers.py's
drift() runs both, and each user's check); a clean backfill shows none, merged child-weeks
included, with their conflicts counted as known; alerts reach a local receiver."""
from __future__ import annotations

import http.server
import json
import threading
from collections import Counter

import psycopg2
import pytest

import legacy_cases as cases
from helpers import LEGACY_WRITABLE, drain, drift, run_cli, run_in_process, scalar, starts_at

from scripts.commands.seed_legacy import seed


@pytest.fixture
@starts_at(LEGACY_WRITABLE)
def backfilled(db, migrate, database_url):
    migrate("upgrade", LEGACY_WRITABLE)
    ids = cases.load(db)
    assert run_in_process("scripts.commands.backfill", database_url=database_url).returncode == 0
    # The legacy writes these tests make stand for writes no sync saw (the trigger skipped or
    # switched off): drift must find them.
    with db.cursor() as cur:
        cur.execute("SET migration.skip_sync_trigger = 'on'")
    return ids


KNOWN_CONFLICTS = Counter(field for _, field in cases.EXPECTED_CONFLICTS)


def only_finding(report) -> dict:
    assert report["findings"] == 1, report
    return report["examples"][0]


def test_clean_backfill_has_no_drift_and_reports_known_exceptions(backfilled, database_url):
    code, report = drift(database_url)
    assert code == 0 and report["drift"] is False
    assert report["quarantine"] == dict(Counter(cases.QUARANTINED.values()))
    # duplicate_week merged into its Monday week, and the Tuesday-start row into the Sunday-start
    # row's: the fields they lost are recorded, known and not drift.
    assert report["conflicts"] == KNOWN_CONFLICTS == {"reflection": 2, "theme": 2}
    assert report["checked"]["conflicts"] == len(cases.EXPECTED_CONFLICTS)
    assert report["source_versions"]["weeks"] == {"migration": len(cases.EXPECTED_WEEKS)}
    # Every row is unchanged since the backfill placed it and every week is as placed: nothing
    # is re-mapped.
    assert (report["checked"]["remapped"], report["checked"]["weeks_remapped"]) == (0, 0)
    assert report["checked"]["legacy_rows"] == len(cases.LEGACY_ROWS)
    assert report["checked"]["weeks_compared"] == len(cases.EXPECTED_WEEKS)
    text = run_cli("scripts.commands.drift", database_url=database_url)
    assert text.returncode == 0 and text.stdout.splitlines()[-1] == "no drift"
    assert ("known conflicts (values a merge did not keep, in migration.placement_conflicts; not drift): "
            "reflection 2, theme 2") in text.stdout.splitlines()


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
        # (user_id: the CHECK of 0034 holds whatever the triggers; theirs are off here.)
        cur.execute("INSERT INTO habit_records (habit_id, record_date, status, user_id) "
                    "VALUES (gen_random_uuid(), '2025-07-21', 'green', gen_random_uuid()) RETURNING id::TEXT")
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
    # Its child-week is re-mapped whole: the row and the other row merged into it (duplicate_week).
    assert (report["checked"]["remapped"], report["checked"]["weeks_remapped"]) == (2, 1)


def test_deleting_the_monday_row_of_a_merged_week_re_places_it_from_the_other(db, backfilled, database_url):
    """The child-week is re-mapped whole: the row merged into it now gives the week (its id,
    fields and habits), and the conflicts recorded against the deleted row are stale."""
    claiming, duplicate = backfilled["clean_two_habits_13_digit_id"], backfilled["duplicate_week"]
    with db.cursor() as cur:
        cur.execute("DELETE FROM habit_tracker WHERE id = %s", (claiming,))
    code, report = drift(database_url)
    kinds = sorted((f["kind"], f["legacy_id"]) for f in report["examples"])
    assert code == 1 and kinds == [("CONFLICT_STALE", duplicate), ("CONFLICT_STALE", duplicate),
                                   ("EXTRA_WEEK", None), ("MISSING_WEEK", duplicate)]
    assert (report["checked"]["remapped"], report["checked"]["weeks_remapped"]) == (1, 1)


def test_a_placement_the_sync_state_contradicts_is_re_mapped(db, backfilled, database_url):
    """What a sync that raced another can leave (seen in test_drain_backfill_race): the row synced
    under its new child (hash and sync state current), its old child-week still placed as it was
    and its new one not placed. Nothing is stale, yet the incremental check re-maps both
    child-weeks, and finds what --full finds."""
    legacy_id = backfilled["tuesday_start"]
    with db.cursor() as cur:
        cur.execute("UPDATE habit_tracker SET child_name = '지아' WHERE id = %s", (legacy_id,))
        cur.execute("""UPDATE migration.sync_state s SET row_hash = migration.row_hash(h), child_name = h.child_name
                       FROM habit_tracker h WHERE h.id = s.legacy_id AND s.legacy_id = %s""", (legacy_id,))
    code, report = drift(database_url)
    found = sorted((f["kind"], f["legacy_id"]) for f in report["examples"])
    # Its new child-week is missing; the one it left (merged with the Sunday-start row) still
    # records the theme and reflection it lost there.
    assert code == 1 and found == [("CONFLICT_STALE", legacy_id), ("CONFLICT_STALE", legacy_id),
                                   ("MISSING_CHILD", None), ("MISSING_WEEK", legacy_id)]
    assert (report["checked"]["remapped"], report["checked"]["weeks_remapped"]) == (2, 2)


# --- child-weeks merged from rows that start on other days than Monday (revision 0023) -------

GAON = "가온"


def week_row(start, habits, updated_at, theme):
    return (GAON, f"{GAON} {start}", start, json.dumps(habits, ensure_ascii=False), cases.U1, theme,
            json.dumps({"bestDay": "화", "easiestHabit": "", "nextWeekGoal": theme}, ensure_ascii=False), updated_at)


@pytest.fixture
def merged(db, backfilled, database_url):
    """Three rows of one child, backfilled: a Monday row (2025-09-01), a Sunday-start row
    (2025-08-31, updated later: it wins the Monday both give a status to) and a Tuesday-start
    row (2025-09-02, updated first: it loses the Tuesday). They merge into the week of
    2025-09-01; the Sunday row's first day goes to the week of 2025-08-25 and the Tuesday
    row's last to the week of 2025-09-08."""
    rows = {
        "monday": week_row("2025-09-01", [cases.habit("독서", ["green", "", "", "", "", "", "yellow"]),
                                          cases.habit("줄넘기", ["", "green", "", "", "", "", ""], 2)],
                           "2025-09-02", "테마 월"),
        "sunday": week_row("2025-08-31", [cases.habit("독서", ["red", "red", "green", "", "", "", ""])],
                           "2025-09-03", "테마 일"),
        "tuesday": week_row("2025-09-02", [cases.habit("독서", ["yellow", "", "", "", "", "", ""]),
                                           cases.habit("운동", ["", "", "", "", "", "", "green"], 2)],
                            "2025-09-01", "테마 화"),
    }
    ids = {}
    with db.cursor() as cur:
        for key, row in rows.items():
            cur.execute("""INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id, theme,
                                                      reflection, updated_at)
                           VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""", row)
            ids[key] = cur.fetchone()[0]
    assert run_in_process("scripts.commands.backfill", database_url=database_url).returncode == 0
    return ids


def gaon_week(db, monday) -> str:
    return scalar(db, "SELECT week_id::TEXT FROM migration.placed_weeks WHERE child_name = %s AND monday = %s",
                  (GAON, monday))


def gaon_record(db, habit, day) -> str:
    return scalar(db, """SELECT r.id::TEXT FROM habit_records r JOIN habits h ON h.id = r.habit_id
                         JOIN children c ON c.id = (SELECT child_id FROM weeks WHERE id = h.week_id)
                         WHERE c.name = %s AND h.name = %s AND r.record_date = %s""", (GAON, habit, day))


def test_merged_sunday_and_tuesday_start_week_has_no_drift_after_backfill(db, merged, database_url):
    monday, sunday, tuesday = merged["monday"], merged["sunday"], merged["tuesday"]
    with db.cursor() as cur:
        cur.execute("SELECT monday::TEXT, legacy_ids FROM migration.placed_weeks WHERE child_name = %s ORDER BY 1",
                    (GAON,))
        assert cur.fetchall() == [("2025-08-25", [sunday]), ("2025-09-01", sorted([monday, sunday, tuesday])),
                                  ("2025-09-08", [tuesday])]
    code, report = drift(database_url)
    assert code == 0, report["by_kind"]
    # Known: the Monday's green lost to the later Sunday row's red, the Tuesday row's yellow to
    # the Sunday row's green, and both other rows' theme and reflection to the Monday row's.
    assert report["conflicts"] == KNOWN_CONFLICTS + Counter({"status": 2, "theme": 2, "reflection": 2})
    assert report["checked"]["conflicts"] == len(cases.EXPECTED_CONFLICTS) + 6
    assert (report["checked"]["remapped"], report["checked"]["weeks_compared"]) == (0, len(cases.EXPECTED_WEEKS) + 3)


def test_corrupted_rows_of_a_merged_week_are_found_by_both_checks(db, merged, database_url):
    """Each finding names the row the line came from: the record's winning row, the week's fields' row."""
    record, week = gaon_record(db, "독서", "2025-09-02"), gaon_week(db, "2025-09-01")
    with db.cursor() as cur:
        cur.execute("UPDATE habit_records SET status = 'red' WHERE id = %s", (record,))
        cur.execute("UPDATE weeks SET theme = '바뀐 테마' WHERE id = %s", (week,))
    code, report = drift(database_url)
    found = sorted((f["severity"], f["kind"], f["legacy_id"], tuple(f["new_ids"]), f["detail"])
                   for f in report["examples"])
    assert code == 1 and found == [
        ("MEDIUM", "STATUS_MISMATCH", merged["sunday"], (record,), "red on 2025-09-02, legacy says green"),
        ("MEDIUM", "WEEK_DATA_MISMATCH", merged["monday"], (week,), "differs in theme"),
    ]
    # Only that child-week is re-mapped, from the three rows with a day in it.
    assert (report["checked"]["remapped"], report["checked"]["weeks_remapped"]) == (3, 1)


def test_unsynced_edit_of_a_tuesday_start_row_re_maps_both_its_weeks(db, merged, database_url):
    tuesday = merged["tuesday"]
    with db.cursor() as cur:
        # Its Monday (2025-09-08) changes; its Tuesday now agrees with the Sunday row's green.
        cur.execute("""UPDATE habit_tracker SET habits = jsonb_set(jsonb_set(habits, '{1,times,6}', '"red"'),
                                                                   '{0,times,0}', '"green"')
                       WHERE id = %s""", (tuesday,))
    code, report = drift(database_url)
    found = sorted((f["kind"], f["legacy_id"], tuple(f["new_ids"])) for f in report["examples"])
    assert code == 1 and found == [
        ("CONFLICT_STALE", tuesday, (gaon_week(db, "2025-09-01"),)),
        ("STATUS_MISMATCH", tuesday, (gaon_record(db, "운동", "2025-09-08"),)),
    ]
    assert (report["checked"]["remapped"], report["checked"]["weeks_remapped"]) == (3, 2)
    # Changed seconds ago: left out with every child-week it has a day in, the others' rows too.
    code, report = drift(database_url, "--min-age", "600")
    assert code == 0 and report["checked"]["left_out_recent"] == 1
    assert report["checked"]["weeks_compared"] == len(cases.EXPECTED_WEEKS) + 1


def test_a_queued_write_leaves_out_its_childs_weeks_until_drained(db, merged, database_url):
    with db.cursor() as cur:
        cur.execute("RESET migration.skip_sync_trigger")
        cur.execute("""UPDATE habit_tracker SET habits = jsonb_set(habits, '{1,times,6}', '"red"') WHERE id = %s""",
                    (merged["tuesday"],))
    assert scalar(db, "SELECT count(*) FROM migration.sync_queue") == 1
    code, report = drift(database_url)
    # The queued row and the other rows of its child are in flight; their child-weeks are not compared.
    assert code == 0 and report["checked"]["left_out_recent"] == 3
    assert report["checked"]["weeks_compared"] == len(cases.EXPECTED_WEEKS)
    drain(db)
    code, report = drift(database_url)
    assert code == 0 and report["checked"]["weeks_compared"] == len(cases.EXPECTED_WEEKS) + 3


def corrupt_conflicts(db, merged) -> None:
    """The Monday row's status conflict deleted, the Tuesday row's theme conflict altered."""
    with db.cursor() as cur:
        cur.execute("DELETE FROM migration.placement_conflicts WHERE field = 'status' AND legacy_id = %s",
                    (merged["monday"],))
        cur.execute("""UPDATE migration.placement_conflicts SET kept_value = '"테마 일"'
                       WHERE field = 'theme' AND legacy_id = %s""", (merged["tuesday"],))


def test_a_conflict_missing_from_the_record_is_found(db, merged, database_url):
    """A recorded conflict is known; one the mapping gives and the record lacks, or one recorded
    otherwise than the mapping gives, is drift. The incremental check finds it as --full does
    (drift() asserts both agree): the child-week's conflicts no longer have the hash recorded in
    migration.placed_weeks (0026), so it is re-mapped."""
    monday, sunday, tuesday = merged["monday"], merged["sunday"], merged["tuesday"]
    corrupt_conflicts(db, merged)
    code, report = drift(database_url)
    assert code == 1
    found = sorted((f["severity"], f["kind"], f["legacy_id"], tuple(f["new_ids"]), f["detail"])
                   for f in report["examples"])
    week = gaon_week(db, "2025-09-01")
    assert found == [
        ("HIGH", "CONFLICT_NOT_RECORDED", monday, (week,),
         f'status of \'독서\' on 2025-09-01: "green" lost to "red" of legacy {sunday}, not in migration.placement_conflicts'),
        ("MEDIUM", "CONFLICT_STALE", tuesday, (week,),
         f'theme: recorded "테마 화" lost to "테마 일" of legacy {monday}, the mapping says "테마 화" lost to "테마 월" '
         f"of legacy {monday}"),
    ]
    assert report["checked"]["conflicts"] == len(cases.EXPECTED_CONFLICTS) + 6 - 1
    # Only that child-week is re-mapped, from the three rows with a day in it.
    assert (report["checked"]["remapped"], report["checked"]["weeks_remapped"]) == (3, 1)
    # A conflict recorded against another week of the key is out of step too.
    assert run_in_process("scripts.commands.backfill", database_url=database_url).returncode == 0
    with db.cursor() as cur:
        cur.execute("""UPDATE migration.placement_conflicts SET week_id = %s
                       WHERE field = 'theme' AND legacy_id = %s""", (gaon_week(db, "2025-08-25"), tuesday))
    code, report = drift(database_url)
    assert code == 1 and [f["kind"] for f in report["examples"]] == ["CONFLICT_STALE"]
    assert report["checked"]["weeks_remapped"] == 1


def test_conflicts_not_hashed_yet_are_re_mapped_not_drift(db, merged, database_url):
    """Right after 0026 every placed_weeks.conflicts is NULL: a child-week with no conflicts is
    trusted (NULL and NULL), one with conflicts is re-mapped, and found clean, until the next
    sync writes its hash."""
    with db.cursor() as cur:
        cur.execute("UPDATE migration.placed_weeks SET conflicts = NULL")
        cur.execute("""SELECT count(DISTINCT (user_id, child_name, monday)) FROM migration.placement_conflicts""")
        with_conflicts = cur.fetchone()[0]
    assert with_conflicts >= 2
    code, report = drift(database_url)
    assert code == 0, report["by_kind"]
    assert report["checked"]["weeks_remapped"] == with_conflicts
    assert report["checked"]["weeks_compared"] == len(cases.EXPECTED_WEEKS) + 3
    assert run_in_process("scripts.commands.backfill", database_url=database_url).returncode == 0
    assert scalar(db, "SELECT count(*) FROM migration.placed_weeks WHERE conflicts IS NOT NULL") == with_conflicts
    code, report = drift(database_url)
    assert code == 0 and report["checked"]["weeks_remapped"] == 0


def test_below_0026_the_incremental_check_does_not_see_conflicts(db, merged, migrate, database_url):
    """At 0025 (no placed_weeks.conflicts) the check runs as before 0026: --full finds a
    corrupted conflict, the incremental check trusts the child-week."""
    migrate("downgrade", "0025_policies_own_children")
    corrupt_conflicts(db, merged)
    incremental = run_in_process("scripts.commands.drift", "--json", database_url=database_url)
    assert incremental.returncode == 0, incremental.stdout
    full = run_in_process("scripts.commands.drift", "--json", "--full", database_url=database_url)
    assert full.returncode == 1, full.stdout
    assert json.loads(full.stdout)["by_kind"] == {"CONFLICT_NOT_RECORDED": 1, "CONFLICT_STALE": 1}


@pytest.mark.start_at(LEGACY_WRITABLE)
def test_realistic_generator_at_10000_weeks_has_no_drift(db, migrate, database_url):
    migrate("upgrade", LEGACY_WRITABLE)
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
