"""A bounded pool of asynchronous psycopg2 connections, driven by the server's event loop.

Every request runs one statement in autocommit, so the endpoint uses psycopg2's asynchronous
connections (always autocommit): the event loop sends a statement and is woken when its
result arrives, instead of handing each request to a worker thread and back. Side by side
with one client, a one-day update's p50 went from 6.72 to 6.52 ms; under bench-api's load the
endpoint's CPU per request went from 2.0 to 1.6-1.7 ms, on the two cores PostgreSQL shares.

At most SIZE connections; a request waits (up to WAIT_SECONDS) for a free one rather than
failing. Connections are opened lazily and kept open between requests, so the service starts
while the database is down and answers 503 until it is back. A connection that failed, or
whose statement did not finish (the request was cancelled), is closed, not returned. Each
new connection is first handed to `setup` (the endpoint's session settings and prepared
statements). An idle connection is not tested when it is handed out (a round trip per
request); the caller retries on a `fresh` one if it turns out dead (app.py).
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager

import psycopg2

from scripts.db.database_url import libpq_url
from scripts.dual_write.aio import wait
from scripts.dual_write.errors import ApiError, database_unavailable

WAIT_SECONDS = 10
CONNECT_TIMEOUT_SECONDS = 3


class Pool:
    def __init__(self, url: str, size: int, setup: Callable[[object], Awaitable[None]]):
        self._url = libpq_url(url)
        self._setup = setup
        self._size = size
        self._slots: asyncio.Semaphore | None = None  # made in the server's event loop
        self._idle: list = []

    async def _open(self):
        try:
            conn = psycopg2.connect(self._url, async_=1, application_name="dual-write-endpoint")
            await asyncio.wait_for(wait(conn), CONNECT_TIMEOUT_SECONDS)
        except (psycopg2.OperationalError, TimeoutError):
            raise database_unavailable() from None
        try:
            await self._setup(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    @asynccontextmanager
    async def connection(self, fresh: bool = False):
        """A pooled connection, or with fresh=True a newly opened one."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._size)
        try:
            await asyncio.wait_for(self._slots.acquire(), WAIT_SECONDS)
        except TimeoutError:
            raise ApiError(503, "busy", "every database connection is busy; retry shortly") from None
        conn = None
        try:
            conn = self._idle.pop() if self._idle and not fresh else await self._open()
            yield conn
        finally:
            if conn is not None:
                if conn.closed or conn.isexecuting():
                    conn.close()
                else:
                    self._idle.append(conn)
            self._slots.release()

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
