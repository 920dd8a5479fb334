"""`make quarantine` and `make quarantine-resolve` (revision 0024): every unresolved legacy row
listed with a proposal; an owner-less row assigned, then undone; a row discarded, then undone; a
discarded row edited afterwards unresolved again; bad input refused with one line, exit 2,
nothing changed; and the invariant of `make verify` ("filled days"), failing on a record deleted
behind the mapping's back, with that row's id, until the row is synced again."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from helpers import LEGACY_WRITABLE, REPO_ROOT, insert, run_in_process, scalar, starts_at
from legacy_cases import U1, U2, habit
from scripts.commands.verify import run_checks

STRANGER = "99999999-9999-9999-9999-999999999999"  # no row in auth.users
# Every table a decision may touch: "nothing changed" compares all of their rows.
TABLES = ("public.habit_tracker", "public.children", "public.weeks", "public.habits", "public.habit_records",
          "migration.backfill_quarantine", "migration.sync_state", "migration.placed_weeks",
          "migration.placement_conflicts", "migration.sync_queue", "migration.quarantine_decisions",
          "migration.discarded_legacy_rows")


@pytest.fixture
@starts_at(LEGACY_WRITABLE)
def rows(synced):
    """Legacy rows of each kind the list shows, drained into the new tables (or quarantine):
    - placed: U1's Monday week of 현우 (독서 green 07-21, red 07-23);
    - owner_less: 현우 from Tuesday 07-22, no user (독서 green 07-23 and yellow 07-28, 줄넘기 green 07-22);
    - bad_status: U1's 서연 with a status the mapping cannot read, and a day it can;
    - empty_object: U1's 지우 with habits written as an object and no day;
    - monday, sunday: U2's 도윤 rows meeting on Monday 09-01 with different statuses (the later wins)."""
    db = synced
    ids = {
        "placed": insert(db, child="현우", start="2025-07-21",
                         habits=[habit("독서", ["green", "", "red", "", "", "", ""])]),
        "owner_less": insert(db, child="현우", start="2025-07-22", user=None,
                             habits=[habit("독서", ["", "green", "", "", "", "", "yellow"]),
                                     habit("줄넘기", ["green", "", "", "", "", "", ""], 2)]),
        "bad_status": insert(db, child="서연", start="2025-07-21",
                             habits=[habit("독서", ["blue", "green", "", "", "", "", ""])]),
        "empty_object": insert(db, child="지우", start="2025-08-04", habits={"name": "독서"}),
        "monday": insert(db, child="도윤", start="2025-09-01", user=U2,
                         habits=[habit("독서", ["green", "", "", "", "", "", ""])]),
    }
    ids["sunday"] = insert(db, child="도윤", start="2025-08-31", user=U2,
                           habits=[habit("독서", ["", "red", "", "", "", "", ""])])
    return ids


def quarantine(database_url, *args):
    return run_in_process("scripts.commands.quarantine", *args, database_url=database_url)


def listed(database_url) -> dict:
    result = quarantine(database_url, "list", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def resolve(database_url, legacy_id, action, *more):
    return quarantine(database_url, "resolve", "--id", str(legacy_id), "--action", action, *more)


def resolved(database_url, legacy_id, action, *more) -> str:
    result = resolve(database_url, legacy_id, action, *more)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return result.stdout


def unresolved(db) -> list[int]:
    with db.cursor() as cur:
        cur.execute("SELECT legacy_id FROM migration.unresolved_legacy_rows ORDER BY 1")
        return [row[0] for row in cur.fetchall()]


def accounts(db, legacy_id: int | None = None) -> dict[str, int]:
    with db.cursor() as cur:
        cur.execute("""SELECT account, count(*) FROM migration.legacy_day_accounts
                       WHERE %(id)s::BIGINT IS NULL OR legacy_id = %(id)s GROUP BY 1""", {"id": legacy_id})
        return dict(cur.fetchall())


def decisions(db, legacy_id: int) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute("""SELECT action, owner::TEXT, previous_user_id::TEXT, decided_by, undone_by IS NOT NULL
                       FROM migration.quarantine_decisions WHERE legacy_id = %s ORDER BY id""", (legacy_id,))
        return cur.fetchall()


def contents(db) -> dict[str, list[str]]:
    snapshot = {}
    with db.cursor() as cur:
        for table in TABLES:
            cur.execute(f"SELECT coalesce(array_agg(t::TEXT ORDER BY t::TEXT), '{{}}') FROM {table} AS t")
            snapshot[table] = cur.fetchone()[0]
    return snapshot


def placed(db) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute("""SELECT c.user_id::TEXT, c.name, w.week_start_date::TEXT, h.name, h.display_order,
                              r.record_date::TEXT, r.status
                       FROM children c JOIN weeks w ON w.child_id = c.id JOIN habits h ON h.week_id = w.id
                       LEFT JOIN habit_records r ON r.habit_id = h.id ORDER BY 1, 2, 3, 5, 6""")
        return cur.fetchall()


def conflicts(db) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute("""SELECT legacy_id, field, habit_name, record_date::TEXT, lost_value, kept_value, kept_legacy_id
                       FROM migration.placement_conflicts ORDER BY 1, 2, 3, 4""")
        return cur.fetchall()


def filled_days_line(db) -> tuple[str, str]:
    (line,) = [r for r in run_checks(db, "current") if r.check == "filled days"]
    return line.status, line.detail


def test_the_list_names_every_unresolved_row_with_a_proposal(rows, database_url, db):
    report = listed(database_url)
    assert set(report) == {"rows", "conflicts"}
    by_id = {r["legacy_id"]: r for r in report["rows"]}
    assert sorted(by_id) == sorted(rows[k] for k in ("owner_less", "bad_status", "empty_object"))
    for row in report["rows"]:
        assert {"legacy_id", "reason", "detail", "child_name", "start_date", "filled_days", "proposal"} <= set(row)

    owner_less = by_id[rows["owner_less"]]
    assert (owner_less["reason"], owner_less["child_name"], owner_less["start_date"]) == ("no_user", "현우", "2025-07-22")
    assert [(d["habit"], d["date"], d["status"]) for d in owner_less["filled_days"]] == [
        ("독서", "2025-07-23", "green"), ("독서", "2025-07-28", "yellow"), ("줄넘기", "2025-07-22", "green")]
    proposal = owner_less["proposal"]
    assert proposal["action"] == "assign"
    assert proposal["candidates"] == [U1]  # the one user with a child named 현우; none chosen
    assert proposal["weeks"] == [{"monday": "2025-07-21", "days": 2}, {"monday": "2025-07-28", "days": 1}]

    bad = by_id[rows["bad_status"]]
    assert bad["reason"] == "unknown_status"
    assert [(d["date"], d["status"]) for d in bad["filled_days"]] == [("2025-07-21", "blue"), ("2025-07-22", "green")]
    assert bad["proposal"]["action"] == "fix-in-app" and bad["proposal"]["alternatives"] == ["discard"]
    assert "candidates" not in bad["proposal"]
    empty = by_id[rows["empty_object"]]
    assert (empty["reason"], empty["filled_days"], empty["proposal"]["action"]) == ("habits_not_array", [], "discard")

    # The merge of 도윤's two rows: the Sunday row, updated later, wins Monday 09-01.
    assert [(c["legacy_id"], c["field"], c["habit_name"], c["record_date"], c["lost_value"], c["kept_value"],
             c["kept_legacy_id"]) for c in report["conflicts"]] == [
        (rows["monday"], "status", "독서", "2025-09-01", "green", "red", rows["sunday"])]

    text = quarantine(database_url, "list")
    assert text.returncode == 0 and text.stderr == ""
    assert text.stdout.startswith("Unresolved legacy rows: 3 (5 filled days stranded)\n")
    assert f"legacy {rows['owner_less']}: child '현우', starts 2025-07-22 (Tue), user (none); no_user" in text.stdout
    assert "Recorded conflicts (migration.placement_conflicts): 1" in text.stdout
    assert filled_days_line(db) == (
        "PASS", "every filled day accounted: 3 placed, 1 in conflicts, 0 in discarded rows, 5 stranded in 3 unresolved rows")


def test_assign_places_the_owner_less_row_and_undo_takes_it_out_again(rows, database_url, db):
    legacy_id = rows["owner_less"]
    placed_before = (placed(db), conflicts(db))
    out = resolved(database_url, legacy_id, "assign", "--owner", U1, "--by", "operator kim")
    assert f"legacy row {legacy_id}: owner {U1} assigned" in out and "by operator kim" in out

    assert scalar(db, "SELECT user_id::TEXT FROM habit_tracker WHERE id = %s", (legacy_id,)) == U1
    assert legacy_id not in unresolved(db)
    assert decisions(db, legacy_id) == [("assign", U1, None, "operator kim", False)]
    assert scalar(db, "SELECT row ->> 'user_id' FROM migration.quarantine_decisions WHERE legacy_id = %s",
                  (legacy_id,)) is None  # the row as it was
    # Its days are on their dates: 07-22 and 07-23 in U1's week of 07-21 (merged with the placed
    # row; the assign is the later update, so its green wins 07-23 and the red is recorded),
    # 07-28 in the next week.
    assert accounts(db, legacy_id) == {"placed": 3}
    assert accounts(db, rows["placed"]) == {"placed": 1, "conflict": 1}
    with db.cursor() as cur:
        cur.execute("""SELECT w.week_start_date::TEXT, h.name, r.record_date::TEXT, r.status
                       FROM weeks w JOIN children c ON c.id = w.child_id JOIN habits h ON h.week_id = w.id
                       JOIN habit_records r ON r.habit_id = h.id
                       WHERE c.user_id = %s AND c.name = '현우' ORDER BY 1, 3, 2""", (U1,))
        assert cur.fetchall() == [("2025-07-21", "독서", "2025-07-21", "green"),
                                  ("2025-07-21", "줄넘기", "2025-07-22", "green"),
                                  ("2025-07-21", "독서", "2025-07-23", "green"),
                                  ("2025-07-28", "독서", "2025-07-28", "yellow")]
    assert filled_days_line(db)[0] == "PASS"

    out = resolved(database_url, legacy_id, "undo", "--by", "operator lee")
    assert "(assign) undone by operator lee; user_id back to NULL; now unresolved again (no_user)" in out
    assert scalar(db, "SELECT user_id FROM habit_tracker WHERE id = %s", (legacy_id,)) is None
    assert legacy_id in unresolved(db)
    assert decisions(db, legacy_id) == [("assign", U1, None, "operator kim", True)]
    # The new tables hold what they held before the assign (timestamps aside), the merge's
    # conflict is gone with it, and the log keeps the undone decision.
    assert (placed(db), conflicts(db)) == placed_before
    assert scalar(db, "SELECT count(*) FROM habit_records r JOIN habits h ON h.id = r.habit_id "
                      "JOIN weeks w ON w.id = h.week_id WHERE w.week_start_date = '2025-07-28'") == 0
    assert accounts(db, rows["placed"]) == {"placed": 2}
    assert accounts(db, legacy_id) == {"stranded": 3}
    assert filled_days_line(db)[0] == "PASS"
    nothing = resolve(database_url, legacy_id, "undo")
    assert (nothing.returncode, nothing.stderr.strip()) == (2, f"quarantine: error: legacy row {legacy_id} has no decision to undo")


def test_discard_archives_the_row_and_undo_brings_it_back(rows, database_url, db):
    legacy_id = rows["bad_status"]
    row = scalar(db, "SELECT to_jsonb(h) FROM habit_tracker h WHERE id = %s", (legacy_id,))
    out = resolved(database_url, legacy_id, "discard")
    assert f"legacy row {legacy_id}: discarded (decision " in out and "its filled days: 2 discarded" in out

    with db.cursor() as cur:
        cur.execute("""SELECT x.row, x.discarded_by, x.discarded_at = d.decided_at, d.row = x.row
                       FROM migration.discarded_legacy_rows x JOIN migration.quarantine_decisions d ON d.id = x.decision_id
                       WHERE x.legacy_id = %s""", (legacy_id,))
        assert cur.fetchall() == [(row, "postgres", True, True)]
    assert scalar(db, "SELECT to_jsonb(h) FROM habit_tracker h WHERE id = %s", (legacy_id,)) == row  # untouched
    assert legacy_id not in unresolved(db)
    assert legacy_id not in [r["legacy_id"] for r in listed(database_url)["rows"]]
    assert filled_days_line(db) == (
        "PASS", "every filled day accounted: 3 placed, 1 in conflicts, 2 in discarded rows, 3 stranded in 2 unresolved rows")

    out = resolved(database_url, legacy_id, "undo")
    assert "(discard) undone by postgres; now unresolved again (unknown_status)" in out
    assert scalar(db, "SELECT count(*) FROM migration.discarded_legacy_rows") == 0
    assert legacy_id in unresolved(db)
    assert decisions(db, legacy_id) == [("discard", None, U1, "postgres", True)]
    assert filled_days_line(db)[1].endswith("0 in discarded rows, 5 stranded in 3 unresolved rows")


def test_a_discarded_row_edited_afterwards_is_unresolved_again(rows, database_url, db):
    legacy_id = rows["empty_object"]
    resolved(database_url, legacy_id, "discard")
    assert legacy_id not in unresolved(db)
    # The old app writes to it (still unreadable): what was archived is not what it holds now.
    db.cursor().execute("UPDATE habit_tracker SET reward = '스티커' WHERE id = %s", (legacy_id,))
    assert legacy_id in unresolved(db)
    assert scalar(db, "SELECT count(*) FROM migration.discarded_legacy_rows WHERE legacy_id = %s", (legacy_id,)) == 1
    # A second discard archives it as it is now; undo then removes that archive entry.
    resolved(database_url, legacy_id, "discard", "--by", "second look")
    assert legacy_id not in unresolved(db)
    assert scalar(db, "SELECT row ->> 'reward' FROM migration.discarded_legacy_rows WHERE legacy_id = %s",
                  (legacy_id,)) == "스티커"
    assert [d[0] for d in decisions(db, legacy_id)] == ["discard", "discard"]


def bad_inputs(rows) -> list[tuple[list[str], str]]:
    """(arguments, the one line expected on stderr)."""
    owner_less, placed = rows["owner_less"], rows["placed"]
    return [
        (["--id", "abc", "--action", "discard"], "ID must be a legacy row id (a number), got 'abc'"),
        (["--id", "", "--action", "discard"], "ID must be a legacy row id (a number), got ''"),
        (["--id", "0", "--action", "undo"], "ID must be a legacy row id (a positive number), got '0'"),
        (["--id", "987654", "--action", "discard"], "no legacy row 987654"),
        (["--id", "987654", "--action", "assign", "--owner", U1], "no legacy row 987654"),
        (["--id", str(placed), "--action", "discard"],
         f"legacy row {placed} is not unresolved (not quarantined, or discarded as it is)"),
        (["--id", str(placed), "--action", "undo"], f"legacy row {placed} has no decision to undo"),
        (["--id", str(rows["bad_status"]), "--action", "assign", "--owner", U2],
         f"legacy row {rows['bad_status']} has an owner ({U1}): assign is for owner-less rows"),
        (["--id", str(owner_less), "--action", "assign", "--owner", "not-a-uuid"],
         "OWNER must be a user's uuid, got 'not-a-uuid'"),
        (["--id", str(owner_less), "--action", "assign"], "ACTION=assign needs OWNER=<user uuid>"),
        (["--id", str(owner_less), "--action", "discard", "--owner", U1], "OWNER is for ACTION=assign, not discard"),
        (["--id", str(owner_less), "--action", "assign", "--owner", STRANGER],
         f"unknown owner {STRANGER}: no such user in auth.users"),
        (["--id", str(owner_less), "--action", "delete"], "ACTION must be one of assign, discard, undo, got 'delete'"),
    ]


def test_bad_input_is_one_line_exit_2_and_changes_nothing(rows, database_url, db):
    before = contents(db)
    for args, message in bad_inputs(rows):
        result = quarantine(database_url, "resolve", *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert result.stdout == "" and len(result.stderr.splitlines()) == 1, (args, result.stderr)
        assert result.stderr.startswith(f"quarantine: error: {message}"), (args, result.stderr)
        assert contents(db) == before, args
    usage = quarantine(database_url, "forget")
    assert usage.returncode == 2 and usage.stderr.startswith("quarantine: error: usage: ")


def test_the_make_targets(rows, database_url, db):
    env = {**os.environ, "DATABASE_URL": database_url}
    listing = subprocess.run(["make", "-s", "quarantine", "JSON=1"], cwd=REPO_ROOT, env=env, capture_output=True,
                             text=True, timeout=300)
    assert listing.returncode == 0, listing.stderr
    assert len(json.loads(listing.stdout)["rows"]) == 3
    before = contents(db)
    bad = subprocess.run(["make", "-s", "quarantine-resolve", "ID=x y", "ACTION=undo"], cwd=REPO_ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "quarantine: error: ID must be a legacy row id (a number), got 'x y'" in bad.stderr
    assert contents(db) == before
    done = subprocess.run(["make", "-s", "quarantine-resolve", f"ID={rows['empty_object']}", "ACTION=discard",
                           "BY=night shift"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert decisions(db, rows["empty_object"]) == [("discard", None, U1, "night shift", False)]


def test_the_invariant_fails_on_a_record_deleted_behind_the_mappings_back(rows, database_url, db):
    assert filled_days_line(db)[0] == "PASS"
    # 도윤's week of 09-01 holds the days of both rows: the Sunday row gets a day 09-02, then
    # its record is deleted from habit_records, the mapping not told.
    db.cursor().execute("UPDATE habit_tracker SET habits = %s WHERE id = %s",
                        (json.dumps([habit("독서", ["", "red", "green", "", "", "", ""])]), rows["sunday"]))
    db.cursor().execute("SELECT * FROM migration.drain_sync_queue()")
    assert filled_days_line(db)[0] == "PASS"
    db.cursor().execute("""DELETE FROM habit_records WHERE record_date = '2025-09-02'
                           AND habit_id IN (SELECT h.id FROM habits h JOIN weeks w ON w.id = h.week_id
                                            JOIN children c ON c.id = w.child_id WHERE c.name = '도윤')""")
    status, detail = filled_days_line(db)
    assert status == "FAIL"
    assert detail.startswith(f"1 filled days unaccounted for, of legacy rows {rows['sunday']} (")
    verify = run_in_process("scripts.commands.verify", database_url=database_url)
    assert verify.returncode == 1
    assert f"FAIL  filled days: 1 filled days unaccounted for, of legacy rows {rows['sunday']} (" in verify.stdout

    # Synced again (what `make resync` does for a row out of step), the record is back.
    db.cursor().execute("SELECT migration.sync_legacy_ids(ARRAY[%s::BIGINT], 'migration')", (rows["sunday"],))
    assert filled_days_line(db) == (
        "PASS", "every filled day accounted: 4 placed, 1 in conflicts, 0 in discarded rows, 5 stranded in 3 unresolved rows")


def test_a_write_still_queued_is_in_flight_not_failed(rows, db):
    legacy_id = insert(db, child="민준", start="2025-10-07", habits=[habit("독서", ["green", "", "", "", "", "", ""])],
                       then_drain=False)
    assert accounts(db, legacy_id) == {"in_flight": 1}
    assert filled_days_line(db) == ("PASS", "every filled day accounted: 3 placed, 1 in conflicts, 0 in discarded rows, "
                                            "5 stranded in 3 unresolved rows; 1 in flight (writes of 1 rows still queued)")
    db.cursor().execute("SELECT * FROM migration.drain_sync_queue()")
    assert accounts(db, legacy_id) == {"placed": 1}


def test_every_value_a_merge_loses_is_recorded(rows, db):
    legacy_id = insert(db, child="민준", start="2025-07-21", habits=[
        habit("독서", ["green", "", "", "", "", "", ""]), habit("독서", ["red", "", "", "", "", "", ""], 2),
        habit("독서", ["yellow", "", "", "", "", "", ""], 3)])
    assert accounts(db, legacy_id) == {"placed": 1, "conflict": 2}
