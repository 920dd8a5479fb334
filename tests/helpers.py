"""The tests' shared helpers, in one module.

- Operator commands as a DBA runs them. `run_cli` starts a subprocess configured by
  DATABASE_URL: for the tests whose subject is the command line. `run_in_process` runs the
  same `main()` inside the test process, with the same exit code, stdout and stderr (Alembic's
  log lines included, formatted as alembic.ini says): where the command is a step of a
  test's setup (the `migrate` fixture). It saves the interpreter's start-up (0.4 s a call).
- Small data sets written with plain SQL, the dual-write tests' legacy writes and the drain,
  and the drift check as the tests use it.
The hand-written legacy data set with every clean and dirty case is tests/legacy_cases.py.
"""
from __future__ import annotations

import configparser
import importlib
import io
import json
import logging
import os
import subprocess
import sys
import threading
import time
import traceback
import uuid
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import astuple
from pathlib import Path
from unittest import mock

import psycopg2
import pytest
from psycopg2 import sql

from scripts.commands.verify import run_checks
from scripts.db.drift import EVERY_USER_ONLY, detect
from scripts.db.freeze import FREEZE_REVISION, last_writable_revision
from scripts.db.legacy_table import identifier as legacy_identifier
from scripts.dev.pg_majors import selected_major
from scripts.dev import verify_without_pg_cron as cron_absence
from scripts.dev.throwaway_pg import pg_cron_installed
from legacy_cases import U1, WEEK, habit

REPO_ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_INI = REPO_ROOT / "alembic.ini"

# PostgreSQL 17 and 18 run from a registry build that has no pg_cron (scripts/dev/pg_majors.py).
# There 0008 and 0013 take the branch they have for a project whose pg_cron switch is off: the
# functions exist, no job is scheduled, and verify FAILs their two checks saying so.
HAS_PG_CRON = pg_cron_installed()
NO_PG_CRON = f"pg_cron is not available for PostgreSQL {selected_major()} here (the registry build has none)"
needs_pg_cron = pytest.mark.skipif(not HAS_PG_CRON, reason=NO_PG_CRON)

# Tests reach Phase 3's revisions (GATE = "contract") on throwaway databases that are not ready for
# the contract (no read switch at 100%, no legacy-readers window, no week of retention since the
# rename): the override, and no retention (allowed with it), which migrate allows on habits_test
# only. A test of the gate or of the retention runs migrate without them.
CONTRACT_OVERRIDE = ("-x", "contract_override=true", "-x", "retention_days=0")


def archive_for_drop(database_url: str, directory: Path) -> Path:
    """`make archive-legacy` into `directory`: what the drop (DROP_REVISION) asks for first."""
    out = directory / f"legacy-archive-{uuid.uuid4().hex[:8]}.tar"
    result = run_in_process("scripts.commands.archive_legacy", "--out", str(out), "--by", "tests",
                            database_url=database_url)
    if result.returncode != 0:
        raise RuntimeError(f"archive-legacy failed: {result.stdout}{result.stderr}")
    return out

# From the freeze on, habit_tracker refuses every write. The tests of Phase 1 and 2 (the
# trigger, the drain, the endpoint writing both schemas) start from the revision before it.
FREEZE = FREEZE_REVISION
LEGACY_WRITABLE = last_writable_revision()


def unschedule_drain(db) -> None:
    """Stop pg_cron's minutely drain, for a test that drains when it means to; without pg_cron
    nothing drains behind the test's back already."""
    if HAS_PG_CRON:
        with db.cursor() as cur:
            cur.execute("SELECT cron.unschedule('drain-sync-queue')")


def failing_here(conn, results) -> set[str]:
    """The names of verify's FAIL lines; without pg_cron on this server, less each line whose only
    failing parts are those its absence makes fail, each saying so (scripts/dev/verify_without_pg_cron.py,
    part by part, so a line failing for another reason too still counts). On 15 it excuses nothing."""
    if HAS_PG_CRON:
        return {r.check for r in results if r.status != "PASS"}
    return cron_absence.failing_here(conn, results)


def assert_verify_passed_here(result, database_url: str, target: str | None = None, exit_on_fail: int = 1) -> None:
    """A `verify` command's result (text or --json) passed; without pg_cron, it failed exactly
    the lines failing_here excuses on the database as it is now (run again in-process against
    `target`: head when None), with exit code `exit_on_fail` (make's own is 2)."""
    output = result.stdout + result.stderr
    if HAS_PG_CRON:
        assert result.returncode == 0, output
        return
    if result.stdout.lstrip().startswith("{"):
        printed = {c["check"] for c in json.loads(result.stdout)["checks"] if c["status"] != "PASS"}
    else:
        printed = {line[len("FAIL  "):].split(": ", 1)[0] for line in result.stdout.splitlines()
                   if line.startswith("FAIL  ")}
    conn = psycopg2.connect(database_url)
    try:
        results = run_checks(conn, target)
        left = verify_failures_expected_here(conn, results)
        excused = {r.check for r in results if r.status != "PASS"} - failing_here(conn, results)
    finally:
        conn.close()
    assert left == [], output
    assert printed == excused and result.returncode == (exit_on_fail if excused else 0), output


def verify_failures_expected_here(conn, results) -> list[str]:
    """verify's FAIL lines (check: detail) but those failing_here excuses: empty means verify
    passed as it can on this server."""
    failed = failing_here(conn, results)
    return [f"{r.check}: {r.detail}" for r in results if r.check in failed]


def starts_at(revision: str):
    """Decorate a fixture: a test that uses it (directly or through other fixtures) starts from a
    database cloned at `revision` (head or a revision id) instead of base. Put it under
    @pytest.fixture. A test says the same with @pytest.mark.start_at(revision) (conftest.py)."""

    def mark(fixture_function):
        fixture_function.start_revision = revision
        return fixture_function

    return mark


def run_cli(module: str, *args: str, database_url: str | None, timeout: float = 300, cwd=REPO_ROOT, **env):
    """Run an operator command as the DBA would: a subprocess, DATABASE_URL in its environment."""
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url is not None:
        environ["DATABASE_URL"] = database_url
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=cwd, env=environ,
        capture_output=True, text=True, timeout=timeout,
    )


@contextmanager
def _alembic_ini_logging(stream):
    """The logging alembic.ini configures for the command line (levels, format, a console
    handler), pointed at `stream` for the duration, then put back. logging.config.fileConfig
    is not used: it would close every existing handler, pytest's own included."""
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(ALEMBIC_INI)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(ini.get("formatter_generic", "format"),
                                           ini.get("formatter_generic", "datefmt", fallback=None) or None))
    loggers = {}
    for key in ini.get("loggers", "keys").split(","):
        section = f"logger_{key.strip()}"
        loggers[ini.get(section, "qualname")] = (ini.get(section, "level"), bool(ini.get(section, "handlers").strip()))
    saved = {name: logging.getLogger(name).level for name in loggers}
    for name, (level, has_handler) in loggers.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if has_handler:
            logger.addHandler(handler)
    try:
        yield
    finally:
        for name, (_, has_handler) in loggers.items():
            logger = logging.getLogger(name)
            logger.setLevel(saved[name])
            if has_handler:
                logger.removeHandler(handler)


def run_in_process(module: str, *args: str, database_url: str | None, entry=None, **env) -> subprocess.CompletedProcess:
    """`python -m module args...` run inside this process: `main()` wrapped by the command's own
    cli_main, DATABASE_URL (and `env`) in os.environ meanwhile, stdout and stderr captured. An
    unexpected exception is a traceback on stderr and exit 1, as the interpreter makes it.
    `entry`: a main(argv) to run instead of the module's (the module's, with a parameter bound)."""
    main = entry or importlib.import_module(module).main
    from scripts.db.errors import cli_main

    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url is not None:
        environ["DATABASE_URL"] = database_url
    environ.update(env)
    out, err = io.StringIO(), io.StringIO()
    patches = [mock.patch.dict(os.environ, environ, clear=True), mock.patch.object(sys, "argv", [module, *args])]
    if module == "scripts.commands.migrate":
        # Alembic's Config binds stdout when the module is imported; the command's own one,
        # told not to reconfigure logging (done above, reversibly), prints where we capture.
        from alembic.config import Config
        migrate = importlib.import_module(module)

        def alembic_config(ini: Path = migrate.ALEMBIC_INI) -> Config:
            cfg = Config(str(ini), stdout=sys.stdout)
            cfg.attributes["skip_logging_config"] = True
            return cfg

        patches.append(mock.patch.object(migrate, "alembic_config", alembic_config))
    code = 0
    with redirect_stdout(out), redirect_stderr(err), _alembic_ini_logging(err):
        for patch in patches:
            patch.start()
        try:
            cli_main(main)()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Exception:  # noqa: BLE001 - what the interpreter would print
            traceback.print_exc()
            code = 1
        finally:
            for patch in reversed(patches):
                patch.stop()
    return subprocess.CompletedProcess([sys.executable, "-m", module, *args], code, out.getvalue(), err.getvalue())


def current_revision(conn) -> str | None:
    """The revision recorded in alembic_version, or None."""
    with conn.cursor() as cur:
        cur.execute("SELECT version_num FROM alembic_version")
        row = cur.fetchone()
    return row[0] if row else None


def each_users_check_agrees(database_url) -> None:
    """Each user's check (the endpoint's verify_consistency: one statement of CTEs) finds exactly
    that user's part of what the check of every user (temporary tables) finds."""
    conn = psycopg2.connect(database_url)
    try:
        everyone = [f for f in detect(conn).findings if f.kind not in EVERY_USER_ONLY]
        with conn.cursor() as cur:
            cur.execute("""SELECT user_id::TEXT FROM habit_tracker UNION SELECT user_id::TEXT FROM migration.sync_state
                           UNION SELECT user_id::TEXT FROM weeks UNION SELECT user_id::TEXT FROM children""")
            users = [row[0] for row in cur.fetchall() if row[0] is not None]
        conn.rollback()
        one_by_one = [f for user in users for f in detect(conn, user_id=user).findings]
    finally:
        conn.close()
    assert sorted(str(astuple(f)) for f in one_by_one) == sorted(str(astuple(f)) for f in everyone)


def drift(database_url, *args, **env):
    """The report of `make drift`, after checking that re-mapping every row (--full) finds the
    same, and that the users' own checks find the same. The command runs in this process
    (run_in_process): it is the tests' instrument here; test_drift.py also starts it as the DBA does."""
    reports = []
    for mode in ((), ("--full",)):
        result = run_in_process("scripts.commands.drift", "--json", "--examples", "50", *args, *mode,
                                database_url=database_url, **env)
        assert result.returncode in (0, 1), result.stderr
        reports.append((result.returncode, json.loads(result.stdout)))
    (code, report), (full_code, full_report) = reports
    assert (code, report["examples"], report["by_kind"]) == (full_code, full_report["examples"], full_report["by_kind"]), (
        f"incremental {code} {report['by_kind']} {report['examples'][:6]} / full {full_code} {full_report['by_kind']} "
        f"{full_report['examples'][:6]}")
    assert full_report["checked"]["remapped"] == full_report["checked"]["legacy_rows"]
    if not args:
        each_users_check_agrees(database_url)
    return code, report


def scalar(db, query, params=None):
    with db.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()[0]


def at_once(target, n: int) -> list:
    """target(0) ... target(n - 1), each in its own thread, all released together; their results."""
    results: list = [None] * n
    start = threading.Barrier(n)

    def run(i):
        start.wait()
        results[i] = target(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# --- small data sets, plain SQL ------------------------------------------------------------


def add_user(conn) -> str:
    user_id = str(uuid.uuid4())
    with conn.cursor() as cur:
        cur.execute("INSERT INTO auth.users (id) VALUES (%s)", (user_id,))
    return user_id


def add_legacy_rows(conn, user_id: str, count: int = 5) -> None:
    with conn.cursor() as cur:
        for n in range(count):
            cur.execute(
                """INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id)
                   VALUES (%s, %s, DATE '2025-07-21' + %s * 7, %s, %s)""",
                (f"아이{n % 3}", f"week {n}", n,
                 '[{"id": 1, "name": "독서", "times": ["green", "", "red", "", "", "", "yellow"]}]', user_id),
            )


def legacy_fingerprint(conn) -> tuple[int, str]:
    """Row count and an md5 over every legacy row's full content: a lost or changed row shows."""
    table = legacy_identifier(conn)  # habit_tracker, or habit_tracker_old after the rename (0039)
    with conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT count(*), md5(coalesce(string_agg(t::TEXT, '|' ORDER BY id), '')) FROM {} t").format(
            table))
        return cur.fetchone()


def add_week(conn, user_id: str, start: str = "2025-07-21", child_name: str = "민준") -> str:
    """One child (if new) and one week in the shadow schema; returns the week id."""
    with conn.cursor() as cur:
        # ON CONFLICT cannot use the deferrable unique (user_id, name) as arbiter.
        cur.execute("SELECT id FROM children WHERE user_id = %s AND name = %s", (user_id, child_name))
        row = cur.fetchone()
        if row is None:
            cur.execute("INSERT INTO children (user_id, name) VALUES (%s, %s) RETURNING id", (user_id, child_name))
            row = cur.fetchone()
        child_id = row[0]
        cur.execute(
            """INSERT INTO weeks (user_id, child_id, week_start_date, week_end_date)
               VALUES (%s, %s, %s::DATE, %s::DATE + 6) RETURNING id""",
            (user_id, child_id, start, start),
        )
        return cur.fetchone()[0]


# --- the dual-write tests' legacy writes ----------------------------------------------------

def drain(db) -> tuple[int, int, int]:
    """What `make sync-drain` and pg_cron's job run: (queued entries, rows synced, rows failed)."""
    with db.cursor() as cur:
        cur.execute("SELECT * FROM migration.drain_sync_queue()")
        return cur.fetchone()


def write(db, statement, params=()) -> None:
    """A legacy write, then the drain."""
    db.cursor().execute(statement, params)
    drain(db)


def insert(db, child="민준", start="2025-07-21", habits=None, user=U1, period=None, then_drain=True) -> int:
    habits = [habit("독서", ["green", "", "red", "", "", "", ""]), habit("줄넘기", WEEK, 2)] if habits is None else habits
    legacy_id = scalar(db, """INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id, theme)
                              VALUES (%s, %s, %s, %s, %s, '테마') RETURNING id""",
                       (child, period or f"{child} {start}", start, json.dumps(habits, ensure_ascii=False), user))
    if then_drain:
        drain(db)
    return legacy_id


def assert_no_drift(database_url):
    code, report = drift(database_url)
    assert code == 0, report["by_kind"]


def attempt(conn, role: str, statement: str, params=None, user: str = U1):
    """Run one statement as PostgREST would for a request: SET LOCAL ROLE `role`, with `user`'s
    JWT claims for authenticated (none for anon), in a transaction rolled back whatever happens.
    Returns the rows (or the row count), or the error raised. `conn` is left in autocommit."""
    conn.autocommit = False
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
            claims = json.dumps({"sub": user, "role": role}) if role == "authenticated" else ""
            cur.execute("SELECT set_config('request.jwt.claims', %s, TRUE)", (claims,))
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else cur.rowcount
    except psycopg2.Error as exc:
        return exc
    finally:
        conn.rollback()
        conn.autocommit = True


def upgrade_behind_a_reader(database_url, revision: str, table: str, hold_seconds: float | None,
                            *args: str) -> dict:
    """Upgrade to `revision` (with `args`) while a transaction holds ACCESS SHARE on `table`
    (released after `hold_seconds`, or only once the upgrade has ended); meanwhile another session
    reads `table` every 50 ms, as the app would, until the upgrade ends or the table is gone by
    that name (a rename), and a watcher polls pg_locks every 10 ms. Returns the upgrade's result
    and time, the lock modes seen waiting on the table (the app's reads aside), and each app
    read's time queued behind the upgrade's attempts that failed: up to the moment the lock was
    granted, if it was. A read queued behind the attempt that succeeds also waits for the
    revision's locked section, which is the revision's length, not the retry's (0039's at two
    rows: 0.6 s, its checksum about a second at 34,000 rows); that part is not counted."""
    reader = psycopg2.connect(database_url)
    app = psycopg2.connect(database_url)
    app.autocommit = True
    found: dict = {"waiting": set(), "granted_at": None, "result": None, "renamed": False}
    oid = scalar(app, "SELECT %s::REGCLASS::OID", (table,))
    reads: list[tuple[float, float]] = []
    with reader.cursor() as cur:
        cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))  # ACCESS SHARE until rollback

    def upgrade():
        started = time.monotonic()
        found["result"] = run_cli("scripts.commands.migrate", "upgrade", revision, *args, database_url=database_url)
        found["elapsed"] = time.monotonic() - started

    def watch_locks():
        watcher = psycopg2.connect(database_url)
        watcher.autocommit = True  # pg_locks afresh at every poll
        others = [watcher.get_backend_pid(), app.get_backend_pid()]
        with watcher.cursor() as look:
            while found["result"] is None:
                look.execute("SELECT mode, granted FROM pg_locks WHERE relation = %s AND pid <> ALL(%s)", (oid, others))
                for mode, granted in look.fetchall():
                    if not granted:
                        found["waiting"].add(mode)
                    elif mode == "AccessExclusiveLock" and found["granted_at"] is None:
                        found["granted_at"] = time.monotonic()
                time.sleep(0.01)
        watcher.close()

    def read_as_the_app():
        with app.cursor() as cur:
            cur.execute("SET statement_timeout = '5s'")
            while found["result"] is None and not found["renamed"]:
                started = time.monotonic()
                try:
                    cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
                except psycopg2.errors.UndefinedTable:
                    found["renamed"] = True
                reads.append((started, time.monotonic()))
                time.sleep(0.05)

    threads = [threading.Thread(target=upgrade), threading.Thread(target=watch_locks),
               threading.Thread(target=read_as_the_app)]
    for thread in threads:
        thread.start()
    try:
        if hold_seconds is not None:
            time.sleep(hold_seconds)
            reader.rollback()
        for thread in threads:
            thread.join()
    finally:
        reader.rollback()
        reader.close()
        app.close()
    granted_at = found["granted_at"] if found["granted_at"] is not None else float("inf")
    found["app_reads"] = [max(0.0, min(ended, granted_at) - started) for started, ended in reads]
    return found
