"""Revision 0016: the same ids and the same rows as before, with less work per sync.

The id functions give 0010's ids and are now inlined; a one-day update touches one record
(0015's sync locked every record, habit and week of the child-week); and every write path
still ends with no drift (the whole sync suite also runs at head)."""
from __future__ import annotations

import pytest

from helpers import LEGACY_WRITABLE, assert_no_drift, drain, insert, scalar
from legacy_cases import U1, habit
from migrations import verify as steps

BEFORE = "0015_rls_planner_friendly"
# The plan 0016's verify step reads (migrations/verify/0016_lighter_row_sync.py).
ID_FUNCTIONS_PLAN = steps.load("0016_lighter_row_sync").ID_FUNCTIONS_PLAN
ID_SAMPLES = """SELECT migration.week_id(i), migration.habit_id(i, p), migration.record_id(i, p, d),
                       migration.child_id(%s, '민준 ' || i)
                FROM unnest(ARRAY[1, 42, 123456789, 9007199254740993]::BIGINT[]) AS i,
                     generate_series(0, 2) AS p, generate_series(0, 6) AS d
                ORDER BY i, p, d"""


LAST_WITH_MAP_RECORDS = "0022_row_sync_locks_first"


def ids(db):
    with db.cursor() as cur:
        cur.execute(ID_SAMPLES, (U1,))
        return cur.fetchall()


def map_records_plan(db) -> str:
    """The plan verify reads to tell whether the id functions are inlined."""
    with db.cursor() as cur:
        cur.execute(ID_FUNCTIONS_PLAN)
        return " ".join(row[0] for row in cur.fetchall())


def test_ids_are_those_of_0010_and_the_functions_are_inlined(synced, migrate):
    # map_records() is 0010's; 0023 retired it (its placement() keeps these ids for Monday rows:
    # tests/test_placement.py), so the last revision that has it is compared with 0016's.
    migrate("downgrade", LAST_WITH_MAP_RECORDS)
    at_head, head_plan = ids(synced), map_records_plan(synced)
    migrate("downgrade", BEFORE)
    assert ids(synced) == at_head
    before_plan = map_records_plan(synced)
    assert "migration.record_id(" in before_plan
    assert "migration.record_id(" not in head_plan and "md5(" in head_plan


def rows_touched_by_one_day_update(db, legacy_id) -> dict[str, int]:
    """Change one day's status in the legacy row and sync it as the endpoint does, in one
    transaction (no subtransaction); count the new rows of the week that transaction wrote or
    locked (xmin or xmax = its id)."""
    db.autocommit = False
    with db.cursor() as cur:
        cur.execute("SET LOCAL migration.skip_sync_trigger = 'on'")
        cur.execute("""UPDATE habit_tracker SET habits = jsonb_set(habits, '{0,times,0}', '"yellow"')
                       WHERE id = %s""", (legacy_id,))
        cur.execute("SELECT migration.sync_legacy_row(%s, 'dual_write')", (legacy_id,))
        cur.execute("""WITH me AS (SELECT pg_current_xact_id()::TEXT::XID AS x)
                       SELECT (SELECT count(*) FROM weeks w, me WHERE w.id = migration.week_id(%(id)s)
                                   AND me.x IN (w.xmin, w.xmax)),
                              (SELECT count(*) FROM habits h, me WHERE h.week_id = migration.week_id(%(id)s)
                                   AND me.x IN (h.xmin, h.xmax)),
                              (SELECT count(*) FROM habit_records r JOIN habits h ON h.id = r.habit_id, me
                               WHERE h.week_id = migration.week_id(%(id)s) AND me.x IN (r.xmin, r.xmax))""",
                    {"id": legacy_id})
        weeks, habits, records = cur.fetchone()
    db.commit()
    db.autocommit = True
    return {"weeks": weeks, "habits": habits, "records": records}


@pytest.mark.parametrize("revision, expected", [
    (BEFORE, {"weeks": 1, "habits": 2, "records": 14}),  # every row of the week, locked by ON CONFLICT
    (LEGACY_WRITABLE, {"weeks": 0, "habits": 0, "records": 1}),  # the one record that changed (the last revision that syncs)
])
def test_a_one_day_update_writes_only_the_record_that_changed(synced, migrate, database_url, revision, expected):
    migrate("downgrade" if revision == BEFORE else "upgrade", revision)
    legacy_id = insert(synced, habits=[habit("독서", ["green"] * 7), habit("줄넘기", ["red"] * 7, 2)])
    assert scalar(synced, "SELECT count(*) FROM migration.sync_state WHERE legacy_id = %s", (legacy_id,)) == 1
    assert rows_touched_by_one_day_update(synced, legacy_id) == expected
    assert scalar(synced, """SELECT r.status FROM habit_records r WHERE r.id = migration.record_id(%s, 0, 0)""",
                  (legacy_id,)) == "yellow"
    assert_no_drift(database_url)


CHANGES = {
    "rename a habit": "jsonb_set(habits, '{0,name}', '\"새 이름\"')",
    "swap two habit names": "jsonb_set(jsonb_set(habits, '{0,name}', habits -> 1 -> 'name'), '{1,name}', habits -> 0 -> 'name')",
    "drop a habit": "habits - 0",
    "clear a day": "jsonb_set(habits, '{0,times,0}', '\"\"')",
    "shorten a week": "jsonb_set(habits, '{1,times}', '[\"red\"]')",
    "no habits": "'[]'::JSONB",
}


@pytest.mark.parametrize("change", CHANGES)
def test_each_kind_of_change_leaves_no_drift(synced, database_url, change):
    legacy_id = insert(synced)
    synced.cursor().execute(f"UPDATE habit_tracker SET habits = {CHANGES[change]} WHERE id = %s", (legacy_id,))
    assert drain(synced)[2] == 0
    assert_no_drift(database_url)


def test_a_renamed_child_moves_the_week_and_the_old_child_goes(synced, database_url):
    legacy_id = insert(synced, habits=[habit("독서", ["green"] * 7)])
    synced.cursor().execute("UPDATE habit_tracker SET child_name = '서연' WHERE id = %s", (legacy_id,))
    drain(synced)
    assert scalar(synced, "SELECT string_agg(name, ',') FROM children") == "서연"
    assert_no_drift(database_url)
    assert scalar(synced, "SELECT count(*) FROM habit_records") == 7
