"""`make read-parity`: every legacy row read back through week_as_legacy() as its user, RLS on.
It passes after the backfill (the quarantine listed until resolved), after Phase 1 writes of
every kind and on the generator's 10,000 weeks, and fails, naming the row and the day, when
the new tables lose or change what the legacy rows hold behind the sync's back."""
from __future__ import annotations

import psycopg2
import pytest

from helpers import LEGACY_WRITABLE, drain, insert, run_in_process, scalar, starts_at, unschedule_drain, write
from legacy_cases import U1, U2, habit
from reads import parity
from scripts.commands.backfill import run as backfill
from scripts.commands.seed_legacy import seed
from test_dual_write import create, delete, endpoint, update  # noqa: F401 - endpoint is a fixture

GENERATED_WEEKS = 10_000
# Read parity alone over the 10,000 weeks: 11 s on a quiet machine, 34 s with three other
# agents' tests running (the whole test, seed and backfill included: 30 s and 100 s).
GENERATED_SECONDS = 60


def seeded(db, rows: int, dirty_share: float = 0.0) -> None:
    conn = psycopg2.connect(db.dsn)
    try:
        seed(conn, rows, seed=1, dirty_share=dirty_share)
        conn.commit()
        backfill(conn, 1000, log=lambda line: None)
        conn.commit()
    finally:
        conn.close()


def unresolved_ids(db) -> list[int]:
    with db.cursor() as cur:
        cur.execute("SELECT legacy_id FROM migration.unresolved_legacy_rows ORDER BY 1")
        return [row[0] for row in cur.fetchall()]


def discard_unresolved(db) -> int:
    ids = unresolved_ids(db)
    with db.cursor() as cur:
        for legacy_id in ids:
            cur.execute("SELECT migration.discard_legacy_row(%s, 'test')", (legacy_id,))
    return len(ids)


@pytest.mark.start_at("0030_rls_stage4_habit_records")
def test_below_0031_it_names_the_revision_needed(database_url):
    result = run_in_process("scripts.commands.read_parity", database_url=database_url)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == ("read_parity: error: read parity needs 0031_read_as_legacy (public.week_as_legacy() "
                             "is missing): run `make upgrade`\n")


def test_without_rls_on_a_table_it_names_the_stage_needed(synced, database_url):
    synced.cursor().execute("ALTER TABLE habit_records DISABLE ROW LEVEL SECURITY")
    result = run_in_process("scripts.commands.read_parity", database_url=database_url)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("read_parity: error: read parity needs 0030_rls_stage4_habit_records (RLS on and "
                             "SELECT for authenticated): not so on habit_records\n")


def test_after_the_backfill_only_the_quarantine_is_left_then_nothing(synced, database_url):
    seeded(synced, 340, dirty_share=0.1)
    quarantined = unresolved_ids(synced)
    assert len(quarantined) > 10
    code, report, _ = parity(database_url)
    assert code == 1
    assert report["differences"] == []
    assert sorted(row["legacy_id"] for row in report["unresolved"]) == quarantined
    assert report["summary"]["rows"] == 340 and report["summary"]["days_compared"] > 5000
    assert report["summary"]["rows_read"] + len(quarantined) == 340
    assert discard_unresolved(synced) == len(quarantined)
    code, report, _ = parity(database_url)
    assert (code, report["unresolved"], report["differences"]) == (0, [], [])
    assert report["summary"]["rows_discarded"] == len(quarantined)
    assert report["summary"]["accounted_discarded"] > 0


def test_after_phase1_writes_of_every_kind(synced, database_url, endpoint):  # noqa: F811
    # Legacy writes through the trigger, then the drain: starts on Monday, Sunday, Tuesday;
    # two rows of one child-week that disagree on a day (the later one wins, the other is a conflict).
    monday = insert(synced, start="2025-07-21", then_drain=False)
    insert(synced, child="서연", start="2025-07-27", then_drain=False,
           habits=[habit("피아노", ["green", "red", "", "", "", "", "yellow"])])
    insert(synced, child="서연", start="2025-07-29", then_drain=False, habits=[habit("피아노", ["", "green"] + [""] * 5)])
    loser = insert(synced, child="하윤", start="2025-07-21", period="first", then_drain=False,
                   habits=[habit("독서", ["red"] + [""] * 6)])
    insert(synced, child="하윤", start="2025-07-21", period="second", then_drain=False,
           habits=[habit("독서", ["green"] + [""] * 6)])
    gone = insert(synced, child="지우", start="2025-08-04", then_drain=False)
    drain(synced)
    write(synced, "UPDATE habit_tracker SET habits = jsonb_set(habits, '{0,times,1}', '\"yellow\"'), theme = '바뀜' "
                 "WHERE id = %s", (monday,))
    write(synced, "DELETE FROM habit_tracker WHERE id = %s", (gone,))
    # The endpoint: create, update a day, clear a day, delete a week; U2 too.
    assert endpoint(create(child="도윤", start="2025-08-04")).status_code == 201
    assert endpoint(create(child="도윤", start="2025-08-11")).status_code == 201
    assert endpoint(update(status="red", day=3, child="도윤", start="2025-08-04")).status_code == 200
    assert endpoint(update(status="", day=0, child="도윤", start="2025-08-04")).status_code == 200
    assert endpoint(delete(child="도윤", start="2025-08-11")).status_code == 200
    assert endpoint(create(child="민준", start="2025-07-21"), user=U2).status_code == 201
    code, report, _ = parity(database_url)
    assert (code, report["differences"], report["unresolved"]) == (0, [], [])
    summary = report["summary"]
    assert summary["users"] == 2 and summary["rows_read"] == 7
    assert summary["accounted_conflict"] == 1  # the red day of the older 하윤 row
    assert scalar(synced, "SELECT count(*) FROM migration.placement_conflicts WHERE legacy_id = %s", (loser,)) == 1
    assert summary["days_equal"] + summary["accounted_conflict"] == summary["days_compared"]


def test_it_fails_naming_the_row_and_the_day_changed_behind_the_syncs_back(synced, database_url):
    legacy_id = insert(synced, habits=[habit("독서", ["green", "", "red", "", "", "", ""])])
    assert parity(database_url)[0] == 0
    synced.cursor().execute("""DELETE FROM habit_records WHERE record_date = '2025-07-21'""")
    code, report, _ = parity(database_url)
    assert code == 1
    assert report["differences"] == [
        {"legacy_id": legacy_id, "what": "status differs", "child_name": "민준", "date": "2025-07-21",
         "habit": "독서", "expected": "green", "got": ""}]
    synced.cursor().execute("""UPDATE habit_records SET status = 'yellow' WHERE record_date = '2025-07-23'""")
    synced.cursor().execute("UPDATE weeks SET theme = '다른 테마'")
    code, report, _ = parity(database_url)
    assert code == 1
    assert report["differences"][1:] == [
        {"legacy_id": legacy_id, "what": "status differs", "child_name": "민준", "date": "2025-07-23",
         "habit": "독서", "expected": "red", "got": "yellow"},
        {"legacy_id": legacy_id, "what": "theme differs", "child_name": "민준", "date": "2025-07-21",
         "habit": None, "expected": "테마", "got": "다른 테마"},
        {"legacy_id": None, "what": "in no legacy row", "child_name": "민준", "date": "2025-07-23",
         "habit": "독서", "expected": "", "got": "yellow"}]
    result = run_in_process("scripts.commands.read_parity", database_url=database_url)
    assert result.returncode == 1
    assert f"  legacy {legacy_id} (민준, 2025-07-23, 독서) status differs: expected 'red', got 'yellow'" \
        in result.stdout.splitlines()
    assert result.stderr == "read_parity: FAILED: 4 differences, 0 unresolved legacy rows\n"


@pytest.fixture
@starts_at(LEGACY_WRITABLE)
def generated(db, migrate):
    migrate("upgrade", LEGACY_WRITABLE)
    unschedule_drain(db)
    return db


def test_the_generators_10000_weeks(generated, database_url):
    seeded(generated, GENERATED_WEEKS)
    discarded = discard_unresolved(generated)  # the rows without a user (1 in 34)
    code, report, _ = parity(database_url)
    assert (code, report["differences"], report["unresolved"]) == (0, [], [])
    summary = report["summary"]
    assert summary["rows"] == GENERATED_WEEKS and summary["rows_read"] == GENERATED_WEEKS - discarded
    assert summary["weeks_read"] > GENERATED_WEEKS and summary["days_compared"] > 150_000
    assert report["seconds"] < GENERATED_SECONDS
