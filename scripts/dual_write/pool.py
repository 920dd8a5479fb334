"""A bounded connection pool that keeps its connections and waits for a free one.

At most SIZE connections; a request waits (up to WAIT_SECONDS) for a free one rather than
failing. Connections are opened lazily and kept open between requests (psycopg2's own
pools close every connection above `minconn` when it is returned, and open all `minconn`
at start, which fails while the database is down). The service therefore starts while the
database is down and answers 503 until it is back; a connection found broken is closed,
not returned. Each new connection is first handed to `setup` (the endpoint prepares its
statements there).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions

from scripts.database_url import libpq_url
from scripts.dual_write.errors import ApiError

WAIT_SECONDS = 10
CONNECT_TIMEOUT_SECONDS = 3
IDLE = psycopg2.extensions.TRANSACTION_STATUS_IDLE


class Pool:
    def __init__(self, url: str, size: int, setup: Callable[[object], None] = lambda conn: None):
        self._url = libpq_url(url)
        self._setup = setup
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list = []
        self._lock = threading.Lock()

    def _open(self):
        try:
            conn = psycopg2.connect(self._url, connect_timeout=CONNECT_TIMEOUT_SECONDS,
                                    application_name="dual-write-endpoint")
        except psycopg2.OperationalError:
            raise ApiError(503, "database_unavailable", "the database is unavailable; retry shortly") from None
        try:
            self._setup(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def connection(self):
        if not self._slots.acquire(timeout=WAIT_SECONDS):
            raise ApiError(503, "busy", "every database connection is busy; retry shortly")
        conn = None
        try:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = self._open()
            yield conn
        finally:
            if conn is not None:
                if conn.closed or conn.get_transaction_status() != IDLE:
                    conn.close()
                else:
                    with self._lock:
                        self._idle.append(conn)
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
