"""A bounded connection pool that waits for a free connection instead of failing.

psycopg2's ThreadedConnectionPool raises when all connections are out; here a semaphore
makes a request wait (up to WAIT_SECONDS) for one. Connections are opened lazily, so the
service starts while the database is down and answers 503 until it is back; a connection
found broken is closed and not returned to the pool.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

import psycopg2
import psycopg2.pool

from scripts.database_url import libpq_url
from scripts.dual_write.errors import ApiError

WAIT_SECONDS = 10
CONNECT_TIMEOUT_SECONDS = 3


class Pool:
    def __init__(self, url: str, size: int):
        self._slots = threading.BoundedSemaphore(size)
        self._pool = psycopg2.pool.ThreadedConnectionPool(
            0, size, libpq_url(url), connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="dual-write-endpoint")

    @contextmanager
    def connection(self):
        if not self._slots.acquire(timeout=WAIT_SECONDS):
            raise ApiError(503, "busy", "every database connection is busy; retry shortly")
        conn = None
        try:
            try:
                conn = self._pool.getconn()
            except psycopg2.OperationalError:
                raise ApiError(503, "database_unavailable", "the database is unavailable; retry shortly") from None
            yield conn
        finally:
            if conn is not None:
                broken = conn.closed or conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_UNKNOWN
                self._pool.putconn(conn, close=bool(broken))
            self._slots.release()

    def close(self) -> None:
        self._pool.closeall()
