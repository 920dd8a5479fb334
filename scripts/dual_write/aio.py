"""Statements on psycopg2's asynchronous connections, awaited on the server's event loop.

An asynchronous connection is always in autocommit, which is how the endpoint runs: one
statement a request. `execute` sends the statement and returns once its result is in, the
loop serving other requests meanwhile; its error is raised as psycopg2 raises it.
"""
from __future__ import annotations

import asyncio

import psycopg2.extensions


async def wait(conn) -> None:
    """Until the connection's pending work (connecting, or a statement) is done; raise its error."""
    loop = asyncio.get_running_loop()
    while True:
        state = conn.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        ready = loop.create_future()
        fd = conn.fileno()
        if state == psycopg2.extensions.POLL_READ:
            loop.add_reader(fd, ready.set_result, None)
            remove = loop.remove_reader
        else:
            loop.add_writer(fd, ready.set_result, None)
            remove = loop.remove_writer
        try:
            await ready
        finally:
            remove(fd)


async def execute(cur, query, parameters=None) -> None:
    """Run one statement on an asynchronous connection's cursor."""
    cur.execute(query, parameters)
    await wait(cur.connection)
