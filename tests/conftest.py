"""Test fixtures: a real PostgreSQL 15 of Supabase's shape, a fresh database per test.

The session starts one throwaway server with scripts/dev/throwaway_pg.py (the same code as
`make db-up`, so it runs the server as the `postgres` OS user when we are root and as
ourselves otherwise). pytest-postgresql's no-process fixture sits on top of it: as the cluster
superuser `supabase_admin` it builds Supabase's shape into a template database once, and
clones a fresh `habits_test` database from it for every test, owned by `postgres`.

Every test connects as `postgres`, which is NOT a superuser, as DATABASE_URL does on
Supabase. `admin_url` (the superuser) is for the few tests that must fabricate a state only the
platform's superuser could cause, or observe what only it may see; each says why.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import psycopg2
from psycopg2 import sql
import pytest
from alembic.config import Config
from pytest_postgresql import factories
from sqlalchemy import create_engine, pool

from scripts.db.database_url import sqlalchemy_url
from scripts.dev.throwaway_pg import SUPERUSER, Cluster, enable_pg_cron, load_standin

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
            cluster=cluster, host=cluster.host, port=cluster.port, user=SUPERUSER, password=None,
            options="", maintenance_dbname="postgres", template_dbname=None,
        )
    finally:
        cluster.destroy()


def _build_supabase_shape(host, port, user, dbname, **_) -> None:
    """pytest-postgresql's loader for the template database, run once: as the superuser."""
    load_standin(f"postgresql://{user}@{host}:{port}/{dbname}")


postgresql_noproc = factories.postgresql_noproc(
    dbname=TEST_DBNAME, load=[_build_supabase_shape], depends_on="throwaway_server"
)
postgresql = factories.postgresql("postgresql_noproc")


@pytest.fixture
def admin_url(postgresql, throwaway_server) -> str:
    """The superuser's URL of this test's database. Not for running what is under test."""
    return throwaway_server.cluster.admin_url(postgresql.info.dbname)


@pytest.fixture
def database_url(postgresql, throwaway_server, admin_url) -> str:
    """The URL of this test's fresh database as `postgres` (Supabase's shape and pg_cron, nothing
    migrated). The database is cloned by the superuser; it is handed to `postgres`, as Supabase's
    database is, and pg_cron is enabled in it as the dashboard's switch does."""
    dbname = postgresql.info.dbname
    with psycopg2.connect(admin_url) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("ALTER DATABASE {} OWNER TO postgres").format(sql.Identifier(dbname)))
    conn.close()
    enable_pg_cron(admin_url)
    return throwaway_server.cluster.url(dbname)


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
    """`python -m scripts.commands.migrate ...` against this test's database; fails the test on error."""

    def _migrate(*args: str, check: bool = True):
        result = run_cli("scripts.commands.migrate", *args, database_url=database_url)
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
