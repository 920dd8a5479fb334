"""Legacy writes straight to habit_tracker, as the old app sends them, from one thread.

Each write is its own transaction (autocommit), so the sync trigger queues it for the drain.
The writer keeps to children of its own (`soak-N`, on Mondays from 2033), so the base's rows
stay as backfilled: inserts of a typical week (5-7 habits, copied from the base), updates of
one day's status and the reflection of one of its rows (bench-trigger's statements), and
deletes of one of its rows, about INSERT 20%, UPDATE 70%, DELETE 10%, pausing PAUSE_MS
(0.5-1.5x) between writes.
"""
from __future__ import annotations

import json
import random
import threading
from collections import Counter
from datetime import date, timedelta

import psycopg2

from scripts.bench.bench_trigger import INSERT, STATUSES, TYPICAL_WEEKS, UPDATE
from scripts.db.database_url import connect
from scripts.db.errors import UsageError

FIRST_MONDAY = date(2033, 1, 3)
CHILDREN = 10
MIN_ROWS = 5  # below this many rows of its own, a delete becomes an insert


class LegacyWriter:
    def __init__(self, url: str, pause_ms: float, seed: int = 1):
        self.url, self.pause_ms = url, pause_ms
        self.rng = random.Random(seed)
        self.rows: list[int] = []
        self.inserted = 0
        self.counts: Counter = Counter()
        self.errors: Counter = Counter()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.weeks: list[tuple[str, list]] = []

    def _write(self, cur) -> str:
        kind = self.rng.choices(("insert", "update", "delete"), (20, 70, 10))[0]
        if not self.rows or (kind == "delete" and len(self.rows) <= MIN_ROWS):
            kind = "insert"
        if kind == "insert":
            user_id, habits = self.weeks[self.inserted % len(self.weeks)]
            # One child per user-slot, consecutive Mondays: every insert is a child-week of its own.
            child, monday = f"soak-{self.inserted % CHILDREN}", FIRST_MONDAY + timedelta(weeks=self.inserted // CHILDREN)
            cur.execute(INSERT, (child, f"soak-{self.inserted}", monday, json.dumps(habits, ensure_ascii=False),
                                 user_id, json.dumps({"good": "", "hard": "", "next": ""})))
            self.rows.append(cur.fetchone()[0])
            self.inserted += 1
        elif kind == "update":
            reflection = json.dumps({"good": str(self.rng.randrange(1000)), "hard": "", "next": ""})
            cur.execute(UPDATE, (self.rng.choice(STATUSES), reflection, self.rng.choice(self.rows)))
        else:
            legacy_id = self.rows.pop(self.rng.randrange(len(self.rows)))
            cur.execute("DELETE FROM habit_tracker WHERE id = %s", (legacy_id,))
        return kind

    def _loop(self) -> None:
        conn = None
        while not self.stopping.wait(self.pause_ms / 1000 * self.rng.uniform(0.5, 1.5)):
            try:
                if conn is None or conn.closed:
                    conn = connect(self.url)
                with conn.cursor() as cur:
                    kind = self._write(cur)
                with self.lock:
                    self.counts[kind] += 1
            except (psycopg2.Error, UsageError) as exc:  # counted; the next write reconnects if need be
                with self.lock:
                    self.errors[f"legacy write {type(exc).__name__}"] += 1
        if conn is not None:
            conn.close()

    def start(self) -> None:
        conn = connect(self.url)
        try:
            with conn.cursor() as cur:
                cur.execute(TYPICAL_WEEKS)
                self.weeks = cur.fetchall()
        finally:
            conn.close()
        if not self.weeks:
            raise UsageError("no typical legacy week (5-7 habits, with an owner) to copy: seed the database first")
        self.thread.start()

    def take(self) -> tuple[Counter, Counter]:
        """(writes by kind, errors) since the last take."""
        with self.lock:
            taken = (self.counts, self.errors)
            self.counts, self.errors = Counter(), Counter()
        return taken

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()
