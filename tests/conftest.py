"""Test fixtures: a real PostgreSQL of Supabase's shape (15, or PG_MAJOR=17|18), a fresh database
per test, cloned from a template database at the revision the test starts from. The run ends
with the server version it ran on and its skips, counted by reason.

The session starts one throwaway server with scripts/dev/throwaway_pg.py (the same code as
`make db-up`, so it runs the server as the `postgres` OS user when we are root and as
ourselves otherwise). As the cluster superuser `supabase_admin` it builds Supabase's shape
(the stand-in, pg_cron switched on) into the template `tmpl_base`, once.

Template databases per revision. `migrate upgrade REV` from base costs 0.2-0.7 s a test;
`CREATE DATABASE ... TEMPLATE` costs 0.05 s. So every revision a test starts from is built
once per session into a template database `tmpl_<revision>`, by cloning the template one
revision below and running that one revision's upgrade in this process as `postgres` (the
same `scripts.commands.migrate` code as `make upgrade`, env.py included, so the templates
hold exactly what the revisions build, their alembic.alembic_version_history rows included).
Each template is built inside the database named `habits_test` and then renamed: pg_cron
exists only in cron.database_name (`habits_test`), and its jobs are rows of that database's
cron.job, so a template built there carries the jobs 0008 and 0013 schedule, and a clone
named `habits_test` again is where pg_cron runs them.

A test starts at base unless it says otherwise: `@pytest.mark.start_at(REV)` on the test, or
a fixture it uses decorated with `@starts_at(REV)` (below). The test's database `habits_test`
is cloned from that revision's template; the test's own `migrate("upgrade", REV)` calls stay
and are then no-ops (answered without running Alembic when the database is already there).

Every test connects as `postgres`, which is NOT a superuser, as DATABASE_URL does on
Supabase. `admin_url` (the superuser) is for the few tests that must fabricate a state only the
platform's superuser could cause, or observe what only it may see; each says why.

The `migrate` fixture runs `scripts.commands.migrate` in this process (helpers.run_in_process:
same exit codes, stdout and stderr as the command line); the tests of the command line itself
(tests/test_migrate_cli.py, the CLI's concurrency) start it as a subprocess.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import psycopg2
from psycopg2 import sql
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from scripts.db.database_url import sqlalchemy_url
from scripts.dev.pg_majors import selected_major
from scripts.dev.throwaway_pg import SUPERUSER, TEST_DBNAME, Cluster, enable_pg_cron, load_standin, LOGIN_ROLE

from helpers import (CONTRACT_OVERRIDE, LEGACY_WRITABLE, archive_for_drop, current_revision, run_in_process, starts_at,
                     unschedule_drain)
from scripts.db.legacy_table import DROP_REVISION, RENAME_REVISION
from legacy_cases import U1, U2

REPO_ROOT = Path(__file__).resolve().parent.parent
# pg_cron runs in this database only (cron.database_name), so every test database has this name.
BASE = "base"


def pytest_configure(config):
    config.addinivalue_line("markers", "start_at(revision): the test's database is cloned at this revision")


def pytest_collection_modifyitems(config, items):
    """Mark every test whose fixtures say where its database starts."""
    for item in items:
        if item.get_closest_marker("start_at"):
            continue
        info = getattr(item, "_fixtureinfo", None)
        wanted = set()
        for name in getattr(item, "fixturenames", ()):
            defs = info.name2fixturedefs.get(name) if info else None
            if defs:
                revision = getattr(defs[-1].func, "start_revision", None)
                if revision:
                    wanted.add(revision)
        if len(wanted) > 1:
            raise pytest.UsageError(f"{item.nodeid}: its fixtures start at different revisions {sorted(wanted)}")
        if wanted:
            item.add_marker(pytest.mark.start_at(wanted.pop()))


class Templates:
    """The template databases of this session, one per revision reached, built on demand."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        cfg = Config(str(REPO_ROOT / "alembic.ini"))
        self.script = ScriptDirectory.from_config(cfg)
        self.order = [BASE] + [rev.revision for rev in reversed(list(self.script.walk_revisions()))]
        self.built: dict[str, str] = {}
        self._build_base()

    def _admin(self):
        conn = psycopg2.connect(self.cluster.admin_url("postgres"))
        conn.autocommit = True
        return conn

    def resolve(self, revision: str | None) -> str:
        if revision in (None, BASE):
            return BASE
        if revision == "head":
            return self.script.get_current_head()
        return self.script.get_revision(revision).revision

    @staticmethod
    def name(revision: str) -> str:
        return f"tmpl_{revision}"[:63]

    def _execute(self, *statements) -> None:
        conn = self._admin()
        try:
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        finally:
            conn.close()

    def _build_base(self) -> None:
        """Supabase's shape, as the platform hands it over: built by the superuser, owned by
        `postgres`, pg_cron switched on."""
        test_db = sql.Identifier(TEST_DBNAME)
        self.drop_test_database()
        self._execute(sql.SQL("CREATE DATABASE {}").format(test_db))
        load_standin(self.cluster.admin_url(TEST_DBNAME))
        self._execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(test_db, sql.Identifier(LOGIN_ROLE)))
        enable_pg_cron(self.cluster.admin_url(TEST_DBNAME))
        self._freeze(BASE)

    def _freeze(self, revision: str) -> None:
        """Rename `habits_test` to the revision's template; nothing may connect to it after."""
        test_db, template = sql.Identifier(TEST_DBNAME), sql.Identifier(self.name(revision))
        self._execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(test_db))
        for attempt in range(100):
            # pg_cron's scheduler stays connected to its database; it is told to go.
            conn = self._admin()
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                                (TEST_DBNAME,))
                    cur.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(test_db, template))
                break
            except psycopg2.errors.ObjectInUse:
                time.sleep(0.05)
            finally:
                conn.close()
        else:
            raise RuntimeError(f"could not rename {TEST_DBNAME}: still in use")
        self.built[revision] = self.name(revision)

    def ensure(self, revision: str | None) -> str:
        """The template at `revision`, built one revision at a time from the nearest built one."""
        revision = self.resolve(revision)
        if revision in self.built:
            return self.built[revision]
        target = self.order.index(revision)
        start = max(i for i, rev in enumerate(self.order[:target]) if rev in self.built)
        for step in self.order[start + 1 : target + 1]:
            self.create_test_database(self.order[self.order.index(step) - 1])
            url = self.cluster.url(TEST_DBNAME)
            # Phase 3's revisions are refused while the contract gate fails, which an empty
            # template always does (no read switch at 100%, no legacy-readers window); the drop
            # also wants an archive that matches what it drops.
            if step == DROP_REVISION:
                archives = Path(self.cluster.root) / "archives"
                archives.mkdir(exist_ok=True)
                archive_for_drop(url, archives)
            result = run_in_process("scripts.commands.migrate", "upgrade", step, *CONTRACT_OVERRIDE, database_url=url)
            if result.returncode != 0:
                raise RuntimeError(f"building the template at {step} failed: {result.stderr}")
            self._freeze(step)
        return self.built[revision]

    def create_test_database(self, revision: str | None) -> None:
        """`habits_test`, owned by `postgres`, cloned from the template at `revision`."""
        template = self.ensure(revision)
        self._execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
            sql.Identifier(TEST_DBNAME), sql.Identifier(template), sql.Identifier(LOGIN_ROLE)))

    @contextmanager
    def shared_database(self, name: str, revision: str):
        """A database `name` cloned at `revision` for the cases of one module that only read, or
        write inside transactions they roll back (each such module checks that after every case).
        Not `habits_test`: pg_cron does not run in it. Yields its URL as `postgres`; dropped after."""
        self._execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
            sql.Identifier(name), sql.Identifier(self.ensure(revision)), sql.Identifier(LOGIN_ROLE)))
        try:
            yield self.cluster.url(name)
        finally:
            self._execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def drop_test_database(self) -> None:
        self._execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(TEST_DBNAME)))


# The server version this process ran on ("PostgreSQL 17.10"), once its server is up; a worker
# of pytest-xdist hands it to the controller, which prints it with the skips at the end.
SERVER_VERSIONS: set[str] = set()


def pytest_sessionfinish(session):
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["server_versions"] = sorted(SERVER_VERSIONS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    SERVER_VERSIONS.update(getattr(node, "workeroutput", {}).get("server_versions", ()))


def pytest_terminal_summary(terminalreporter):
    ran_on = ", ".join(sorted(SERVER_VERSIONS)) or "no server (no test needed one)"
    skipped = terminalreporter.stats.get("skipped", [])
    reasons: dict[str, int] = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    terminalreporter.write_sep("=", f"ran on {ran_on} (PG_MAJOR={selected_major()}); {len(skipped)} skipped")
    for reason, count in sorted(reasons.items()):
        terminalreporter.write_line(f"{count} skipped: {reason}")


@pytest.fixture(scope="session")
def throwaway_server():
    cluster = Cluster.start(TEST_DBNAME, create_database=False)
    try:
        conn = psycopg2.connect(cluster.admin_url("postgres"))
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            SERVER_VERSIONS.add(f"PostgreSQL {cur.fetchone()[0].split()[0]}")
        conn.close()
        yield SimpleNamespace(cluster=cluster, host=cluster.host, port=cluster.port, user=SUPERUSER)
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def templates(throwaway_server) -> Templates:
    return Templates(throwaway_server.cluster)


def start_revision(request) -> str:
    marker = request.node.get_closest_marker("start_at")
    return marker.args[0] if marker else BASE


@pytest.fixture
def test_database(request, templates) -> str:
    """This test's database `habits_test`, cloned at the revision the test starts from; dropped after."""
    templates.create_test_database(start_revision(request))
    try:
        yield TEST_DBNAME
    finally:
        templates.drop_test_database()


@pytest.fixture
def admin_url(test_database, throwaway_server) -> str:
    """The superuser's URL of this test's database. Not for running what is under test."""
    return throwaway_server.cluster.admin_url(test_database)


@pytest.fixture
def database_url(test_database, throwaway_server) -> str:
    """The URL of this test's database as `postgres` (Supabase's shape and pg_cron; migrated to
    the revision the test starts from, base unless it says otherwise). The database belongs to
    `postgres`, as Supabase's does, and pg_cron is enabled in it as the dashboard's switch does."""
    return throwaway_server.cluster.url(test_database)


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


def crosses_the_drop(database_url: str, templates, target: str) -> bool:
    """Whether `upgrade target` would run DROP_REVISION from where the database is."""
    order = templates.order
    if target in ("head", "heads"):
        target = order[-1]
    elif target.startswith("+") or target not in order:
        return False
    conn = psycopg2.connect(database_url)
    try:
        at = current_revision_or_base(conn)
    finally:
        conn.close()
    start = order.index(at) if at in order else -1
    return start < order.index(DROP_REVISION) <= order.index(target)


@pytest.fixture
def migrate(database_url, templates, tmp_path_factory):
    """`python -m scripts.commands.migrate ...` against this test's database, run in this
    process; fails the test on error. An upgrade to the revision the database is already at
    (where the test started) is answered at once, as Alembic would: nothing to run."""

    def _migrate(*args: str, check: bool = True, contract_gate: bool = False):
        """contract_gate=True: upgrade without CONTRACT_OVERRIDE, so that the gate decides."""
        if len(args) == 2 and args[0] == "upgrade" and not args[1].startswith(("+", "-")) and ":" not in args[1]:
            conn = psycopg2.connect(database_url)
            try:
                at = current_revision_or_base(conn)
            finally:
                conn.close()
            if at == templates.resolve(args[1]) and at != BASE:
                return SimpleNamespace(returncode=0, stdout="", stderr="", args=args)
        override = CONTRACT_OVERRIDE if args and args[0] == "upgrade" and not contract_gate else ()
        if override and crosses_the_drop(database_url, templates, args[1]):
            # The drop wants an archive of what it drops, as the override does not excuse: taken
            # at the rename, as the runbook takes it.
            before = _migrate("upgrade", templates.resolve(RENAME_REVISION), check=check)
            if before.returncode != 0:
                return before
            archive_for_drop(database_url, tmp_path_factory.mktemp("archives"))
        result = run_in_process("scripts.commands.migrate", *args, *override, database_url=database_url)
        if check and result.returncode != 0:
            pytest.fail(f"migrate {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result

    return _migrate


def current_revision_or_base(conn) -> str:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL")
        if not cur.fetchone()[0]:
            return BASE
    return current_revision(conn) or BASE


@pytest.fixture
@starts_at(LEGACY_WRITABLE)
def synced(db, migrate):
    """At the last revision before the freeze (habit_tracker takes writes), with the two test
    users; pg_cron's minutely drain is unscheduled, because the tests drain the dual-write queue
    when they mean to (the drain would race them)."""
    migrate("upgrade", LEGACY_WRITABLE)
    with db.cursor() as cur:
        cur.execute("INSERT INTO auth.users (id) VALUES (%s), (%s)", (U1, U2))
    unschedule_drain(db)
    return db
