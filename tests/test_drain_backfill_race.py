"""The backfill, the queue's drain and legacy renames, run together, leave no drift (#17, point 9).

Three writers of the new tables at once, each on its own connection: `python -m
scripts.commands.backfill` (small batches, again and again), a drain loop (migration.drain_sync_queue(),
what pg_cron and `make sync-worker` run) and a legacy writer that renames children in
habit_tracker (one row, or every row of a child), which moves weeks to another child and must
delete the former child once it has no week left. When they stop and the queue is drained, the
drift check is clean and no child is left without a week and without a legacy row.

Before revision 0021 the drain read the children it would sync and delete before it took the
per-child locks, and the backfill took none and never deleted the child a renamed row left:
children with no weeks were left behind (8, then 5, in the issue) that neither `make resync`
nor `make backfill` removes. At 0020 this test ended with 1 to 7 such children in five runs of
six, and in three of them a backfill batch stopped on fk_weeks_child_id (the drain deleted a
child between the backfill's INSERT of it and of its week); the ordered test below failed
every time.

Under load the backfill's final check once found a renamed row in no placed week (a drain of a
sibling's write had placed its former child-week again) while its write waited in the queue:
in flight, not lost, and counted so since (test_backfill.py, the row queued at the final check).
Before, 3 runs in 20 here (2-core machine, two busy loops beside) failed with "1 legacy rows neither migrated nor quarantined".
"""
from __future__ import annotations

import json
import random
import threading
import time

import psycopg2
import pytest

from helpers import LEGACY_WRITABLE, drift, run_cli, scalar, starts_at, unschedule_drain
from legacy_cases import U1, WEEK, habit
from scripts.commands.seed_legacy import seed

ROWS = 1200
RACE_SECONDS = 8
BACKFILL_BATCH = "25"
DRAIN_BATCH = 40
DRAIN_INTERVAL = 0.5
MARK = "*"

# Children the mapping wrote that have no week and no legacy row to map to them.
ORPHAN_CHILDREN = """SELECT count(*) FROM children AS c
                     WHERE c.source_version IN ('migration', 'dual_write')
                       AND NOT EXISTS (SELECT 1 FROM weeks AS w WHERE w.child_id = c.id)
                       AND NOT EXISTS (SELECT 1 FROM habit_tracker AS h
                                       WHERE h.user_id = c.user_id AND h.child_name = c.name)"""
CHILDLESS = """SELECT count(*) FROM children AS c
               WHERE c.source_version IN ('migration', 'dual_write')
                 AND NOT EXISTS (SELECT 1 FROM weeks AS w WHERE w.child_id = c.id)"""


@pytest.fixture
@starts_at(LEGACY_WRITABLE)
def seeded(db, migrate):
    """At head, pg_cron's drain unscheduled (the test drains), ROWS legacy rows not yet backfilled."""
    migrate("upgrade", LEGACY_WRITABLE)
    unschedule_drain(db)
    seed(db, ROWS, seed=17)
    return db


def toggled(name: str) -> str:
    return name[:-len(MARK)] if name.endswith(MARK) else name + MARK


class Race:
    """The three writers, each a thread with its own connection, until stop is set."""

    def __init__(self, database_url: str):
        self.url = database_url
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.counts = {"backfills": 0, "ended_in_flight": 0, "renames": 0, "rename_conflicts": 0, "drained": 0,
                       "drain_calls": 0}

    def backfill(self) -> None:
        while not self.stop.is_set():
            result = run_cli("scripts.commands.backfill", "--batch", BACKFILL_BATCH, database_url=self.url, timeout=120)
            self.counts["backfills"] += 1
            # Rows queued but not yet drained at the final check: in flight, not a failure.
            self.counts["ended_in_flight"] += "\n  in flight: " in result.stdout
            if result.returncode != 0:
                self.errors.append(f"backfill exited {result.returncode}: {result.stderr.strip()}")

    def drain(self) -> None:
        conn = psycopg2.connect(self.url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                while not self.stop.is_set():
                    cur.execute("SELECT queued, synced, failed FROM migration.drain_sync_queue(%s)", (DRAIN_BATCH,))
                    queued, _, failed = cur.fetchone()
                    self.counts["drained"] += queued
                    self.counts["drain_calls"] += 1
                    if failed:
                        self.errors.append(f"the drain failed to sync {failed} rows")
                    if not queued:  # as `make sync-worker` does: the queue fills in between
                        time.sleep(DRAIN_INTERVAL)
        except psycopg2.Error as exc:
            self.errors.append(f"drain: {' '.join(str(exc).split())}")
        finally:
            conn.close()

    def rename(self) -> None:
        rng = random.Random(17)
        conn = psycopg2.connect(self.url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT id FROM habit_tracker WHERE user_id IS NOT NULL ORDER BY id")
                ids = [row[0] for row in cur.fetchall()]
                while not self.stop.is_set():
                    cur.execute("SELECT user_id, child_name FROM habit_tracker WHERE id = %s", (rng.choice(ids),))
                    user_id, name = cur.fetchone()
                    try:
                        if rng.random() < 0.5:
                            # Every week of the child: the former child is left with none.
                            cur.execute("""UPDATE habit_tracker SET child_name = %s, updated_at = now()
                                           WHERE user_id = %s AND child_name = %s""", (toggled(name), user_id, name))
                        else:
                            # One week, to the child's other name or to a sibling of the same user.
                            cur.execute("""SELECT child_name FROM habit_tracker WHERE user_id = %s AND child_name <> %s
                                           ORDER BY random() LIMIT 1""", (user_id, name))
                            sibling = cur.fetchone()
                            target = sibling[0] if sibling and rng.random() < 0.3 else toggled(name)
                            cur.execute("""UPDATE habit_tracker SET child_name = %s, updated_at = now()
                                           WHERE id = (SELECT id FROM habit_tracker WHERE user_id = %s AND child_name = %s
                                                       ORDER BY random() LIMIT 1)""", (target, user_id, name))
                        self.counts["renames"] += 1
                    except psycopg2.errors.UniqueViolation:  # the target child has that week already
                        self.counts["rename_conflicts"] += 1
                    time.sleep(rng.uniform(0, 0.01))
        except psycopg2.Error as exc:
            self.errors.append(f"rename: {' '.join(str(exc).split())}")
        finally:
            conn.close()

    def run(self, seconds: float) -> None:
        threads = [threading.Thread(target=work, name=work.__name__) for work in (self.backfill, self.drain, self.rename)]
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        self.stop.set()
        for thread in threads:
            thread.join(timeout=120)
            assert not thread.is_alive(), f"{thread.name} did not stop"


def drain_everything(db) -> None:
    with db.cursor() as cur:
        while True:
            cur.execute("SELECT queued, failed FROM migration.drain_sync_queue(1000)")
            queued, failed = cur.fetchone()
            assert failed == 0
            if not queued:
                break
    assert scalar(db, "SELECT count(*) FROM migration.sync_queue") == 0


def test_backfill_drain_and_renames_together_leave_no_drift(seeded, database_url):
    race = Race(database_url)
    race.run(RACE_SECONDS)
    drain_everything(seeded)

    orphans, childless = scalar(seeded, ORPHAN_CHILDREN), scalar(seeded, CHILDLESS)
    code, report = drift(database_url)
    print(f"race: {race.counts}; orphan children {orphans}, childless {childless}; drift {code} {report['by_kind']}")
    assert race.errors == []
    assert race.counts["backfills"] >= 1 and race.counts["renames"] > 50 and race.counts["drained"] > 50, race.counts
    assert (orphans, childless) == (0, 0), report["by_kind"]
    assert code == 0, report["by_kind"]
    assert scalar(seeded, "SELECT count(*) FROM migration.sync_failures") == 0


def children(db) -> list[tuple[str, int]]:
    with db.cursor() as cur:
        cur.execute("SELECT c.name, (SELECT count(*) FROM weeks AS w WHERE w.child_id = c.id) FROM children AS c ORDER BY 1")
        return cur.fetchall()


def wait_until_blocked(db, seconds: float = 20) -> None:
    """Until another session of this database waits for a lock (the drain, for the child's)."""
    deadline = time.monotonic() + seconds
    while scalar(db, """SELECT count(*) FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event_type = 'Lock'""") == 0:
        assert time.monotonic() < deadline, "the drain never waited for the child's lock"
        time.sleep(0.02)


def test_the_drain_reads_the_children_again_under_the_locks(synced, database_url):
    """The cause, in order: a row sync holding the former child's lock moves the week to a child
    the drain had not read; the drain waits for that lock, then must lock and clean up that child."""
    db = synced
    legacy_id = scalar(db, """INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id)
                              VALUES ('A', 'w1', '2025-07-21', %s, %s) RETURNING id""",
                       (json.dumps([habit("독서", WEEK)], ensure_ascii=False), U1))
    drain_everything(db)
    rename = "UPDATE habit_tracker SET child_name = %s, updated_at = now() WHERE id = %s"
    db.cursor().execute(rename, ("B", legacy_id))  # queued

    # Another sync of the row (resync's or the endpoint's, 0012): it locks A and B, moves the
    # week to B, deletes A, records B; not committed yet.
    other = psycopg2.connect(database_url)
    with other.cursor() as cur:
        cur.execute("SELECT migration.sync_legacy_row(%s, 'dual_write')", (legacy_id,))
    db.cursor().execute(rename, ("C", legacy_id))  # queued: the row's child is C now

    drainer = psycopg2.connect(database_url)
    drainer.autocommit = True
    drained = threading.Thread(target=drain_everything, args=(drainer,))
    drained.start()
    wait_until_blocked(db)  # the drain read A (recorded) and C (now), and waits for A
    other.commit()
    other.close()
    drained.join(timeout=60)
    assert not drained.is_alive()
    drainer.close()

    # B, where the other sync put the week, was read again under the lock: locked and deleted.
    assert children(db) == [("C", 1)]
    code, report = drift(database_url)
    assert code == 0, report["by_kind"]


FUNCTIONS = """SELECT p.oid::REGPROCEDURE::TEXT, pg_get_functiondef(p.oid), p.proconfig, p.proacl::TEXT[]
               FROM pg_proc AS p WHERE p.pronamespace = 'migration'::REGNAMESPACE ORDER BY 1"""


@pytest.mark.start_at("0020_legacy_truncate_guard")
def test_0021_is_revoked_from_public_and_its_downgrade_restores_0020_exactly(db, migrate):
    migrate("upgrade", "0020_legacy_truncate_guard")
    with db.cursor() as cur:
        cur.execute(FUNCTIONS)
        before = cur.fetchall()
    migrate("upgrade", "0021_drain_locks_before_reading")
    with db.cursor() as cur:
        cur.execute("""SELECT p.oid::REGPROCEDURE::TEXT, has_function_privilege('public', p.oid, 'EXECUTE')
                       FROM pg_proc AS p WHERE p.proname IN ('legacy_children', 'lock_legacy_children') ORDER BY 1""")
        assert cur.fetchall() == [("migration.legacy_children(bigint[])", False),
                                  ("migration.lock_legacy_children(bigint[],boolean,uuid[])", False)]
        cur.execute(FUNCTIONS)
        changed = {name for name, *rest in cur.fetchall() if (name, *rest) not in before}
    assert changed == {"migration.drain_sync_queue(integer)", "migration.legacy_children(bigint[])",
                       "migration.lock_legacy_children(bigint[],boolean,uuid[])",
                       "migration.sync_legacy_ids(bigint[],text)"}
    migrate("downgrade", "0020_legacy_truncate_guard")
    with db.cursor() as cur:
        cur.execute(FUNCTIONS)
        assert cur.fetchall() == before
