"""The drain of the dual-write queue as `make sync-worker` runs it, measuring each write's lag.

The sync trigger queues a legacy write in migration.sync_queue with enqueued_at = its
transaction's now(); migration.drain_sync_queue() deletes the entries it takes and records the
sync in migration.sync_state (synced_at = the drain transaction's now(), its start). A queue
entry is gone once drained, so the lag is read around the drain, in its transaction: the
entries there before it, which of them it took, and the time just before its COMMIT (when the
new tables show the write). Lag = that time - enqueued_at: what a reader of the new tables
waits, the drain's own duration included.
"""
from __future__ import annotations

import threading
from collections import Counter

import psycopg2

from scripts.commands.sync_queue import DRAIN
from scripts.db.database_url import connect
from scripts.db.errors import UsageError

# drain_sync_queue()'s own lock (its first statement): held here first, in the same transaction
# (it is re-entrant there), so pg_cron's drain cannot take entries between the two reads.
DRAIN_LOCK = "SELECT pg_try_advisory_xact_lock(hashtextextended('migration.drain_sync_queue', 0))"
WAITING = "SELECT id, enqueued_at FROM migration.sync_queue ORDER BY id LIMIT %s"
STILL_QUEUED = "SELECT id FROM migration.sync_queue WHERE id = ANY(%s)"


def drain_measured(conn, batch: int) -> tuple[int, int, list[float]]:
    """One drain of up to `batch` entries: (entries drained, rows failed, lag seconds of each)."""
    with conn.cursor() as cur:
        cur.execute(DRAIN_LOCK)
        if not cur.fetchone()[0]:
            conn.rollback()
            return 0, 0, []
        cur.execute(WAITING, (batch,))
        waiting = cur.fetchall()
        if not waiting:
            conn.rollback()
            return 0, 0, []
        cur.execute(DRAIN, (batch,))
        queued, _synced, failed = cur.fetchone()
        cur.execute(STILL_QUEUED, ([entry_id for entry_id, _ in waiting],))
        left = {row[0] for row in cur.fetchall()}
        cur.execute("SELECT clock_timestamp()")
        done = cur.fetchone()[0]
    conn.commit()
    return queued, failed, [(done - enqueued).total_seconds() for entry_id, enqueued in waiting if entry_id not in left]


class Drainer:
    """A thread draining every `interval` seconds until stop(); lags and failures read in windows."""

    def __init__(self, url: str, interval: float, batch: int = 1000):
        self.url, self.interval, self.batch = url, interval, batch
        self.lags: list[float] = []
        self.drained = 0
        self.errors: Counter = Counter()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _drain_all(self, conn) -> None:
        while True:
            queued, failed, lags = drain_measured(conn, self.batch)
            with self.lock:
                self.lags += lags
                self.drained += queued
                if failed:
                    self.errors["rows failed to sync"] += failed
            if queued < self.batch:
                return

    def _loop(self) -> None:
        conn = None
        while not self.stopping.wait(self.interval):
            try:
                if conn is None or conn.closed:
                    conn = connect(self.url, autocommit=False)
                self._drain_all(conn)
            except (psycopg2.Error, UsageError) as exc:  # counted; the next round reconnects
                with self.lock:
                    self.errors[f"drain {type(exc).__name__}"] += 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def start(self) -> None:
        self.thread.start()

    def take(self) -> tuple[list[float], int, Counter]:
        """(lags, entries drained, errors) since the last take."""
        with self.lock:
            taken = (self.lags, self.drained, self.errors)
            self.lags, self.drained, self.errors = [], 0, Counter()
        return taken

    def stop(self) -> None:
        """Stop, then drain what is left once more, so nothing stays queued after the run."""
        self.stopping.set()
        self.thread.join()
        conn = connect(self.url, autocommit=False)
        try:
            self._drain_all(conn)
        finally:
            conn.close()
