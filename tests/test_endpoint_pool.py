"""The endpoint's connection pool (scripts/dual_write/pool.py) on a real server: a connection is
reused while it is younger than its max age, and replaced by a new backend once older (its
backend ends: its memory goes back to the system); a bad DB_CONN_MAX_AGE stops the service
from starting, in one line."""
from __future__ import annotations

import asyncio
import time

import psycopg2

from helpers import run_cli, scalar
from scripts.dual_write.aio import wait
from scripts.dual_write.pool import Pool


async def _no_setup(conn) -> None:
    return None


async def backend_pid(pool: Pool) -> int:
    async with pool.connection() as conn:
        cur = conn.cursor()
        cur.execute("SELECT pg_backend_pid()")
        await wait(conn)
        return cur.fetchone()[0]


def test_a_connection_is_reused_until_its_max_age_then_replaced(database_url, db):
    async def scenario() -> tuple[int, int, int]:
        pool = Pool(database_url, 1, setup=_no_setup, max_age=1.0)
        try:
            first = await backend_pid(pool)
            again = await backend_pid(pool)  # well inside the max age: the same backend
            await asyncio.sleep(1.1)
            last_use = await backend_pid(pool)  # older than the max age when handed out: used once more,
            after = await backend_pid(pool)  # then closed at its release: a new backend
            assert last_use == first
            return first, again, after
        finally:
            pool.close()

    first, again, after = asyncio.run(scenario())
    assert again == first and after != first
    for _ in range(50):  # the old backend has exited (its memory with it)
        if not scalar(db, "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (first,)):
            break
        time.sleep(0.1)
    assert scalar(db, "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (first,)) == 0


def test_serve_refuses_a_bad_connection_max_age(database_url):
    for value, message in (("soon", "DB_CONN_MAX_AGE must be a whole number of seconds"),
                           ("0", "DB_CONN_MAX_AGE must be at least 1 second")):
        result = run_cli("scripts.dual_write.serve", database_url=database_url,
                         SUPABASE_JWT_SECRET="x" * 32, DB_CONN_MAX_AGE=value)
        assert result.returncode == 2 and result.stderr.strip() == f"serve: error: {message}", result.stderr
