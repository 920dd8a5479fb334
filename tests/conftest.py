"""Test fixtures: a real PostgreSQL 15, a fresh database per test.

The session starts one throwaway server with scripts/throwaway_pg.py (the same code as
`make db-up`, so it runs the server as the `postgres` OS user when we are root and as
ourselves otherwise). pytest-postgresql's no-process fixture sits on top of it: it loads the
Supabase stand-in into a template database once, and clones a fresh `habits_test` database
from it for every test.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import psycopg2
import pytest
from alembic.config import Config
from pytest_postgresql import factories
from sqlalchemy import create_engine, pool

from scripts.database_url import sqlalchemy_url
from scripts.throwaway_pg import STANDIN_SQL, Cluster, enable_pg_cron

from cli_helpers import run_cli
from legacy_cases import U1, U2

REPO_ROOT = Path(__file__).resolve().parent.parent
# pg_cron runs in this database only (cron.database_name), so every test database has this name.
TEST_DBNAME = "habits_test"


@pytest.fixture(scope="session")
def throwaway_server():
    cluster = Cluster.start(TEST_DBNAME, create_database=False)
    try:
        yield SimpleNamespace(
            cluster=cluster, host=cluster.host, port=cluster.port, user=cluster.user, password=None,
            options="", maintenance_dbname="postgres", template_dbname=None,
        )
    finally:
        cluster.destroy()


postgresql_noproc = factories.postgresql_noproc(
    dbname=TEST_DBNAME, load=[STANDIN_SQL], depends_on="throwaway_server"
)
postgresql = factories.postgresql("postgresql_noproc")


@pytest.fixture
def database_url(postgresql, throwaway_server) -> str:
    """The URL of this test's fresh database (Supabase stand-in and pg_cron, nothing migrated)."""
    url = throwaway_server.cluster.url(postgresql.info.dbname)
    enable_pg_cron(url)
    return url


@pytest.fixture
def db(database_url):
    """An autocommit psycopg2 connection to this test's database."""
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture
def alembic_config() -> Config:
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.attributes["skip_logging_config"] = True
    return cfg


@pytest.fixture
def alembic_engine(database_url):
    engine = create_engine(sqlalchemy_url(database_url), poolclass=pool.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def migrate(database_url):
    """`python -m scripts.migrate ...` against this test's database; fails the test on error."""

    def _migrate(*args: str, check: bool = True):
        result = run_cli("scripts.migrate", *args, database_url=database_url)
        if check and result.returncode != 0:
            pytest.fail(f"migrate {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result

    return _migrate


@pytest.fixture
def synced(db, migrate):
    """At head, with the two test users; pg_cron's minutely drain is unscheduled, because the
    tests drain the dual-write queue when they mean to (the drain would race them)."""
    migrate("upgrade", "head")
    with db.cursor() as cur:
        cur.execute("INSERT INTO auth.users (id) VALUES (%s), (%s)", (U1, U2))
        cur.execute("SELECT cron.unschedule('drain-sync-queue')")
    return db
