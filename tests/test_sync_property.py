"""Property: whatever sequence of legacy INSERT, UPDATE and DELETE the application sends — one
session or several at once on the same children, drained in batches of any size while the
writes go on — the dual-write trigger's queue and its drain (revision 0013) leave the new
tables exactly as the mapping gives them, and `make drift` finds nothing; with writes still
queued, `make drift` leaves them out and finds nothing either.

A seeded generator (the same operations for the same seed). Size: PROPERTY_OPS operations
(300 in `make test`; `make test-property OPS=5000` for a longer run).
"""
from __future__ import annotations

import json
import os
import random
import threading
from collections import Counter
from datetime import date, timedelta

import psycopg2
import pytest

from helpers import drift, scalar
from legacy_cases import U1, U2

OPS = int(os.environ.get("PROPERTY_OPS", "300"))
SESSIONS = 4
CHILDREN = [(U1, "민준"), (U1, "서연"), (U2, "하윤"), (U2, "민준")]
MONDAYS = [date(2025, 7, 21) + timedelta(weeks=k) for k in range(4)]
HABIT_NAMES = ["독서", "줄넘기", "피아노", "양치하기", "운동"]
STATUSES = ["", "", "", "green", "green", "yellow", "red", "none"]


class Workload:
    """Random legacy writes, shaped to hit every rule: rows merging into one child-week (few
    children and Mondays; Sunday, Tuesday and other non-Monday starts whose days straddle two
    Monday weeks; repeated habit names), dirty rows (unknown status, missing starts) and every
    kind of UPDATE the app makes."""

    def __init__(self, conn, seed: int, label: str):
        self.conn, self.rng, self.label, self.count = conn, random.Random(seed), label, 0
        self.done = Counter()

    def habits(self) -> list:
        rng = self.rng
        names = rng.sample(HABIT_NAMES, rng.randint(0, 4))
        if names and rng.random() < 0.08:
            names.append(names[0])
        habits = [{"id": rng.choice([i + 1, 1720000000000 + i]), "name": name,
                   "times": [rng.choice(STATUSES) for _ in range(rng.choice([7, 7, 7, 5]))]}
                  for i, name in enumerate(names)]
        if habits and rng.random() < 0.03:
            habits[0]["times"][0] = "blue"
        return habits

    def start(self) -> tuple[date | None, str]:
        self.count += 1
        monday = self.rng.choice(MONDAYS)
        label = f"{monday.year}년 {monday.month}월 {monday.day}일 ~ ({self.label}-{self.count})"
        roll = self.rng.random()
        if roll < 0.12:  # a Sunday start: one day in the week before, six in this one
            return monday - timedelta(days=1), label
        if roll < 0.22:  # a Tuesday start: six days in this week, one in the next
            return monday + timedelta(days=1), label
        if roll < 0.27:  # any other day
            return monday + timedelta(days=self.rng.randint(2, 5)), label
        if roll < 0.30:
            return None, label
        return monday, label

    def existing(self, cur) -> int | None:
        cur.execute("SELECT id FROM habit_tracker ORDER BY id")
        ids = [row[0] for row in cur.fetchall()]
        return self.rng.choice(ids) if ids else None

    def step(self, cur) -> None:
        roll = self.rng.random()
        target = None if roll < 0.4 else self.existing(cur)
        if target is None:
            user, child = self.rng.choice(CHILDREN)
            start, label = self.start()
            cur.execute("""INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id, theme)
                           VALUES (%s, %s, %s, %s, %s, %s)""",
                        (child, label, start, json.dumps(self.habits(), ensure_ascii=False), user,
                         self.rng.choice([None, "", "테마"])))
            self.done["insert"] += 1
        elif roll > 0.85:
            cur.execute("DELETE FROM habit_tracker WHERE id = %s", (target,))
            self.done["delete"] += 1
        else:
            kind = self.rng.choice(["habits", "status", "child", "start", "theme"])
            if kind == "habits":
                cur.execute("UPDATE habit_tracker SET habits = %s WHERE id = %s",
                            (json.dumps(self.habits(), ensure_ascii=False), target))
            elif kind == "status":
                cur.execute("""UPDATE habit_tracker SET habits = jsonb_set(habits, ARRAY['0', 'times', %s], to_jsonb(%s::TEXT))
                               WHERE id = %s AND jsonb_typeof(habits -> 0 -> 'times') = 'array'""",
                            (str(self.rng.randrange(7)), self.rng.choice(STATUSES), target))
            elif kind == "child":
                user, child = self.rng.choice(CHILDREN)
                cur.execute("UPDATE habit_tracker SET user_id = %s, child_name = %s WHERE id = %s", (user, child, target))
            elif kind == "start":
                cur.execute("UPDATE habit_tracker SET week_start_date = %s WHERE id = %s", (self.start()[0], target))
            else:
                cur.execute("UPDATE habit_tracker SET theme = %s, reflection = %s WHERE id = %s",
                            (self.rng.choice(["a", "b"]), json.dumps({"bestDay": self.rng.choice("월화수")}), target))
            self.done[f"update {kind}"] += 1


def drain(cur) -> None:
    cur.execute("SELECT * FROM migration.drain_sync_queue()")


def merged_weeks(db) -> int:
    """Child-weeks placed from more than one legacy row."""
    return scalar(db, "SELECT count(*) FROM migration.placed_weeks WHERE cardinality(legacy_ids) > 1")


def assert_mapping_holds(db, database_url):
    drain(db.cursor())
    assert scalar(db, "SELECT count(*) FROM migration.sync_queue") == 0
    code, report = drift(database_url)
    assert code == 0, (report["by_kind"], report["examples"][:5])
    assert scalar(db, "SELECT count(*) FROM migration.sync_failures") == 0
    # The run exercised the rules that look across rows and the quarantine, not just clean rows.
    assert scalar(db, "SELECT count(*) FROM weeks") > 0
    # Nothing stranded but for a missing fact or an unreadable shape.
    assert scalar(db, """SELECT count(*) FROM migration.backfill_quarantine
                         WHERE reason NOT IN ('no_week_start', 'unknown_status', 'times_too_long')""") == 0
    return report


def test_one_session_random_writes_leave_no_drift(synced, database_url):
    workload = Workload(synced, seed=20261125, label="s")
    quarantined = Counter()
    checked_in_flight = 0
    with synced.cursor() as cur:
        for n in range(OPS):
            workload.step(cur)
            if workload.rng.random() < 0.3:  # batches of one to a dozen or so writes
                drain(cur)
                cur.execute("SELECT reason FROM migration.backfill_quarantine")
                quarantined.update(row[0] for row in cur.fetchall())
            elif n % (OPS // 3) == OPS // 6 and scalar(synced, "SELECT count(*) FROM migration.sync_queue"):
                code, report = drift(database_url)
                assert code == 0 and report["checked"]["queued"] > 0, report["by_kind"]
                checked_in_flight += 1
    assert checked_in_flight
    assert workload.done["insert"] and workload.done["delete"] and workload.done["update child"]
    assert quarantined["unknown_status"]
    assert_mapping_holds(synced, database_url)
    assert merged_weeks(synced) > 0 and scalar(synced, "SELECT count(*) FROM migration.placement_conflicts") > 0


def test_concurrent_sessions_on_the_same_children_leave_no_drift(synced, database_url):
    errors: list = []
    done = Counter()

    def session(number: int) -> None:
        conn = psycopg2.connect(database_url)
        conn.autocommit = True
        workload = Workload(conn, seed=1000 + number, label=f"c{number}")
        try:
            with conn.cursor() as cur:
                for _ in range(OPS // SESSIONS):
                    try:
                        workload.step(cur)
                    except psycopg2.Error as exc:  # a legacy-level failure the app would see and retry
                        errors.append((exc.pgcode, str(exc).splitlines()[0]))
        finally:
            done.update(workload.done)
            conn.close()

    writing = threading.Event()
    drains = Counter()

    def drainer() -> None:
        conn = psycopg2.connect(database_url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                while writing.is_set():
                    cur.execute("SELECT * FROM migration.drain_sync_queue(%s)", (random.Random().randint(1, 50),))
                    queued, synced_rows, failed = cur.fetchone()
                    drains.update(batches=1 if queued else 0, failed=failed)
        except psycopg2.Error as exc:
            errors.append((exc.pgcode, str(exc).splitlines()[0]))
        finally:
            conn.close()

    writing.set()
    threads = [threading.Thread(target=session, args=(n,)) for n in range(SESSIONS)]
    draining = threading.Thread(target=drainer)
    for thread in threads + [draining]:
        thread.start()
    for thread in threads:
        thread.join()
    writing.clear()
    draining.join()
    assert errors == [] and drains["batches"] > 0 and drains["failed"] == 0
    assert sum(done.values()) == SESSIONS * (OPS // SESSIONS)
    assert_mapping_holds(synced, database_url)
    assert merged_weeks(synced) > 0
