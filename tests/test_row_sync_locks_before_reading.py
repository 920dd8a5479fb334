"""Revision 0022: the row sync locks every child its row touches before it reads which one the
row was synced to, and reads it again under the locks.

migration.sync_legacy_row() (0012, 0016) is the endpoint's sync (migration.dual_write(), through
dual_write_sync()), `make resync`'s (try_sync_legacy_row()) and the drain's one-row path. Before
0022 it read the child the row was last synced to (migration.sync_state) before it took the
per-child locks, and never again: a sync of the same row that committed in between, moving the
week to another child, left that child with no week, never locked nor deleted (EXTRA_CHILD), and
neither the drain nor `make resync` removes it afterwards. The same family as 0021's fix of the
drain and the backfill (tests/test_drain_backfill_race.py). At 0021 the ordered test below ends
with the child B, without a week, for each caller.
"""
from __future__ import annotations

import json
import threading
import time

import psycopg2
import pytest

from helpers import drift, scalar
from legacy_cases import U1, WEEK, habit

BEFORE = "0021_drain_locks_before_reading"
RENAME = "UPDATE habit_tracker SET child_name = %s, updated_at = now() WHERE id = %s"
# The row sync as each of its callers runs it for one row.
CALLERS = {
    "sync_legacy_row": "SELECT migration.sync_legacy_row(%s, 'dual_write')",
    "resync": "SELECT migration.try_sync_legacy_row(%s, 'RESYNC')",
}


def children(db) -> list[tuple[str, int]]:
    with db.cursor() as cur:
        cur.execute("SELECT c.name, (SELECT count(*) FROM weeks AS w WHERE w.child_id = c.id) FROM children AS c ORDER BY 1")
        return cur.fetchall()


def drain_everything(db) -> None:
    with db.cursor() as cur:
        while True:
            cur.execute("SELECT queued, failed FROM migration.drain_sync_queue(1000)")
            queued, failed = cur.fetchone()
            assert failed == 0
            if not queued:
                break


def wait_until_blocked(db, seconds: float = 20) -> None:
    """Until another session of this database waits for a lock (the row sync, for a child's)."""
    deadline = time.monotonic() + seconds
    while scalar(db, """SELECT count(*) FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event_type = 'Lock'""") == 0:
        assert time.monotonic() < deadline, "the row sync never waited for the child's lock"
        time.sleep(0.02)


def race_a_committed_move(db, database_url, call: str) -> None:
    """In order: the row is synced to A; renamed to B; a first sync (resync's or the endpoint's)
    locks A and B, moves the week to B, deletes A and records B, not committed; the row is
    renamed to C; a second sync of the row starts, having read A (recorded, as far as it can
    see) and C, and waits for A's lock; the first sync commits."""
    legacy_id = scalar(db, """INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id)
                              VALUES ('A', 'w1', '2025-07-21', %s, %s) RETURNING id""",
                       (json.dumps([habit("독서", WEEK)], ensure_ascii=False), U1))
    drain_everything(db)
    assert children(db) == [("A", 1)]
    db.cursor().execute(RENAME, ("B", legacy_id))

    first = psycopg2.connect(database_url)
    with first.cursor() as cur:
        cur.execute(CALLERS["sync_legacy_row"], (legacy_id,))
    db.cursor().execute(RENAME, ("C", legacy_id))

    second = psycopg2.connect(database_url)
    second.autocommit = True
    errors: list[BaseException] = []

    def sync_again() -> None:
        try:
            with second.cursor() as cur:
                cur.execute(call, (legacy_id,))
                result = cur.fetchone()[0]
                assert result in ("", None), result  # try_sync_legacy_row() returns its failure
        except BaseException as exc:  # noqa: BLE001 - reported by the test's thread below
            errors.append(exc)

    synced = threading.Thread(target=sync_again)
    synced.start()
    try:
        wait_until_blocked(db)
        first.commit()
    finally:
        first.close()
        synced.join(timeout=60)
        second.close()
    assert not synced.is_alive()
    assert errors == []


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_a_move_committed_before_the_locks_leaves_no_child_behind(synced, database_url, caller):
    db = synced
    race_a_committed_move(db, database_url, CALLERS[caller])
    # B, where the first sync had put the week, was read again under the locks: locked and
    # deleted when the second sync moved the week on to C.
    assert children(db) == [("C", 1)]
    drain_everything(db)  # the renames the trigger queued: nothing left to do
    assert children(db) == [("C", 1)]
    code, report = drift(database_url)
    assert code == 0, report["by_kind"]
    assert scalar(db, "SELECT count(*) FROM migration.sync_failures") == 0


FUNCTIONS = """SELECT p.oid::REGPROCEDURE::TEXT, pg_get_functiondef(p.oid), p.proconfig, p.proacl::TEXT[],
                      obj_description(p.oid, 'pg_proc')
               FROM pg_proc AS p WHERE p.pronamespace = 'migration'::REGNAMESPACE ORDER BY 1"""


@pytest.mark.start_at(BEFORE)
def test_0022_changes_only_the_row_sync_keeps_its_setting_and_grants_and_its_downgrade_restores_0021(db, migrate):
    migrate("upgrade", BEFORE)
    with db.cursor() as cur:
        cur.execute(FUNCTIONS)
        before = cur.fetchall()
    migrate("upgrade", "0022_row_sync_locks_first")
    with db.cursor() as cur:
        cur.execute(FUNCTIONS)
        after = cur.fetchall()
        cur.execute("""SELECT p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE'),
                              p.prosrc LIKE '%%WHEN SQLSTATE ''MGLCK'' THEN%%'
                       FROM pg_proc AS p WHERE p.oid = 'migration.sync_legacy_row(bigint, text, uuid)'::REGPROCEDURE""")
        assert cur.fetchone() == (["plan_cache_mode=force_generic_plan"], False, True)
    changed = {name for name, *rest in after if (name, *rest) not in before}
    assert changed == {"migration.sync_legacy_row(bigint,text,uuid)"}
    migrate("downgrade", BEFORE)
    with db.cursor() as cur:
        cur.execute(FUNCTIONS)
        assert cur.fetchall() == before
