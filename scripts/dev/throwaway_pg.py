"""A private, throwaway PostgreSQL server of Supabase's shape, for the demo and the tests.

The major is PG_MAJOR (the Makefile's PG=): Debian's 15 with pg_cron by default, or 17 or 18
from the registry package scripts/dev/pg_majors.py installs (no pg_cron there).

`python -m scripts.dev.throwaway_pg up [NAME]` creates a cluster in a fresh temporary directory,
starts it on a free loopback port with its own socket directory, creates the database
`habits`, builds Supabase's shape in it (supabase_standin.sql, pg_cron), and prints its
DATABASE_URL. `down [NAME]` stops it and removes its files. `url [NAME]` prints the URL of a
running one.

The shape is Supabase's (../shared/SUPABASE_FACTS.md): the cluster's superuser is
`supabase_admin`, which only builds the database; the printed DATABASE_URL logs in as
`postgres`, which is NOT a superuser (CREATEDB, CREATEROLE, BYPASSRLS, member of the API
roles), and whatever it creates in `public` is granted to anon and authenticated by default
privileges. Every make target, the demo and every test run as `postgres`, so a revision or a
command that needs a superuser fails here as it would on Supabase.

initdb and pg_ctl refuse to run as root, so as root every server command runs as the
`postgres` OS user (`runuser -u postgres --`) in a directory that user owns; as anyone else
they run as the caller. The same code serves both, and the tests use it the same way.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg2
from psycopg2 import sql

from scripts.db.errors import UsageError, cli_main
from scripts.dev.pg_majors import Installation, install_hint, installation, selected_major

REPO_ROOT = Path(__file__).resolve().parents[2]
STATE_DIR = REPO_ROOT / ".throwaway"
STANDIN_SQL = Path(__file__).resolve().parent / "supabase_standin.sql"
SUPERUSER = "supabase_admin"  # builds the database; nothing else connects as it
LOGIN_ROLE = "postgres"  # DATABASE_URL's role: Supabase's, not a superuser
DEFAULT_DBNAME = "habits"
TEST_DBNAME = "habits_test"  # the tests' database (tests/conftest.py)
# The only database names `migrate -x gate=skip` accepts (scripts/commands/migrate.py skip_refusal).
THROWAWAY_DBNAMES = (DEFAULT_DBNAME, TEST_DBNAME)


def _as_root() -> bool:
    return os.geteuid() == 0


def _run_as_server_user(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a server binary as the postgres OS user when we are root, as ourselves otherwise;
    `env` (LD_LIBRARY_PATH for the registry builds) is set on the binary's own command line,
    so runuser's environment handling cannot drop it."""
    if env:
        args = ["env", *(f"{key}={value}" for key, value in env.items()), *args]
    cmd = ["runuser", "-u", "postgres", "--", *args] if _as_root() else args
    return subprocess.run(cmd, check=True, capture_output=True, text=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_cron_installed() -> bool:
    """Whether the selected major's server has pg_cron (Debian's 15 does; the npm 17/18 do not)."""
    return installation().has_pg_cron()


@dataclass
class Cluster:
    """One running throwaway server: where it lives and how to reach it."""

    root: str
    port: int
    dbname: str = DEFAULT_DBNAME
    host: str = "127.0.0.1"
    user: str = LOGIN_ROLE
    durable: bool = False
    # The installation it runs from (kept in the state file, so `down` stops it with the same pg_ctl).
    major: str = ""
    bindir: str = ""
    libdir: str = ""

    def __post_init__(self) -> None:
        if not self.bindir:  # a state file written before the majors: Debian's 15
            found = installation("15")
            self.major, self.bindir = found.major, str(found.bindir)

    @property
    def _env(self) -> dict[str, str]:
        return {"LD_LIBRARY_PATH": self.libdir} if self.libdir else {}

    def _bin(self, name: str) -> str:
        return str(Path(self.bindir) / name)

    @property
    def datadir(self) -> Path:
        return Path(self.root) / "data"

    @property
    def socketdir(self) -> Path:
        return Path(self.root) / "socket"

    @property
    def logfile(self) -> Path:
        return Path(self.root) / "server.log"

    def url(self, dbname: str | None = None) -> str:
        """DATABASE_URL: the login role `postgres`, as on Supabase."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname or self.dbname}"

    def admin_url(self, dbname: str | None = None) -> str:
        """The cluster superuser's URL: for building databases (and, in tests, for fabricating
        states only the platform could cause), never for running what is under test."""
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{dbname or self.dbname}"

    @classmethod
    def start(cls, dbname: str = DEFAULT_DBNAME, *, create_database: bool = True, durable: bool = False) -> Cluster:
        """Start a new server. `dbname` is also pg_cron's database (pg_cron lives in one only);
        with create_database=False the caller creates it (pytest-postgresql does, per test).
        durable=True keeps production's fsync/synchronous_commit (for write-cost benchmarks)."""
        found: Installation = installation()
        if not (found.bindir / "initdb").is_file():
            raise UsageError(f"PostgreSQL {found.major} server binaries not found in {found.bindir} "
                             f"({install_hint(found.major)})")
        root = Path(tempfile.mkdtemp(prefix="habits-pg-"))
        cluster = cls(root=str(root), port=_free_port(), dbname=dbname, durable=durable, major=found.major,
                      bindir=str(found.bindir), libdir=str(found.libdir or ""))
        cluster.socketdir.mkdir()
        if _as_root():
            shutil.chown(root, "postgres", "postgres")
            shutil.chown(cluster.socketdir, "postgres", "postgres")
        try:
            cluster._initdb()
            cluster._pg_ctl_start()
            cluster._load_standin_roles()
            if create_database:
                cluster._create_database(dbname)
        except subprocess.CalledProcessError as exc:
            detail = (exc.stderr or exc.stdout or "").strip().splitlines()
            cluster.destroy()
            raise UsageError(f"throwaway server failed: {' '.join(exc.cmd[-3:])}: {detail[-1] if detail else exc}") from None
        return cluster

    def _initdb(self) -> None:
        _run_as_server_user([
            self._bin("initdb"), "-D", str(self.datadir), "-U", SUPERUSER,
            "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        ], self._env)

    def _server_options(self) -> str:
        settings = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.socketdir}'",
            "max_connections": "200",
        }
        if not self.durable:
            # Durability is worthless for a database that is thrown away; speed is not.
            settings.update({"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"})
        preload = ["pg_stat_statements"]
        if pg_cron_installed():
            preload.append("pg_cron")
            settings["cron.database_name"] = f"'{self.dbname}'"
        settings["shared_preload_libraries"] = "'" + ",".join(preload) + "'"
        return " ".join(f"-c {key}={value}" for key, value in settings.items())

    def _pg_ctl_start(self) -> None:
        _run_as_server_user([
            self._bin("pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile),
            "-o", self._server_options(), "-w", "-t", "60", "start",
        ], self._env)

    def _create_database(self, dbname: str) -> None:
        conn = psycopg2.connect(self.admin_url("postgres"))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(dbname), sql.Identifier(LOGIN_ROLE)))
        conn.close()
        load_standin(self.admin_url(dbname))
        enable_pg_cron(self.admin_url(dbname))

    def _load_standin_roles(self) -> None:
        load_standin(self.admin_url("postgres"))

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            _run_as_server_user([self._bin("pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"], self._env)

    def destroy(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def load_standin(url: str) -> None:
    """Build Supabase's shape in one database (idempotent); `url` is the superuser's."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(STANDIN_SQL.read_text(encoding="utf-8"))
    conn.close()


# What the dashboard's pg_cron switch does, as the superuser: the extension's objects in pg_catalog
# and schema cron, and `postgres` given the use of all of them (so cron.schedule works as postgres,
# and a job runs as the role that scheduled it).
PG_CRON_STATEMENTS = (
    "CREATE EXTENSION IF NOT EXISTS pg_cron WITH SCHEMA pg_catalog",
    "GRANT USAGE ON SCHEMA cron TO postgres WITH GRANT OPTION",
    "GRANT ALL ON ALL TABLES IN SCHEMA cron TO postgres WITH GRANT OPTION",
    "GRANT ALL ON ALL SEQUENCES IN SCHEMA cron TO postgres WITH GRANT OPTION",
    "GRANT ALL ON ALL FUNCTIONS IN SCHEMA cron TO postgres WITH GRANT OPTION",
)


def enable_pg_cron(url: str) -> None:
    """Enable pg_cron as Supabase's extension switch does (in cron.database_name only); `url` is
    the superuser's."""
    if not pg_cron_installed():
        return
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for statement in PG_CRON_STATEMENTS:
            cur.execute(statement)
    conn.close()


def _state_file(name: str) -> Path:
    return STATE_DIR / f"{name}.json"


def _load_state(name: str) -> Cluster | None:
    path = _state_file(name)
    if not path.is_file():
        return None
    return Cluster(**json.loads(path.read_text()))


def up(name: str, durable: bool = False) -> Cluster:
    existing = _load_state(name)
    if (existing and existing.durable == durable and existing.major == selected_major()
            and (existing.datadir / "postmaster.pid").exists()):
        return existing
    if existing:
        existing.destroy()
    cluster = Cluster.start(durable=durable)
    STATE_DIR.mkdir(exist_ok=True)
    _state_file(name).write_text(json.dumps(asdict(cluster)))
    return cluster


def down(name: str) -> bool:
    cluster = _load_state(name)
    if cluster is None:
        return False
    cluster.destroy()
    _state_file(name).unlink()
    return True


def main(argv: list[str]) -> int:
    durable = "--durable" in argv
    argv = [arg for arg in argv if arg != "--durable"]
    if not argv or argv[0] not in ("up", "down", "url"):
        raise UsageError("usage: python -m scripts.dev.throwaway_pg up [--durable]|down|url [NAME]")
    action, name = argv[0], (argv[1] if len(argv) > 1 else "demo")
    if action == "up":
        print(up(name, durable).url())
    elif action == "down":
        print(f"throwaway server {name!r} stopped and removed" if down(name) else f"no throwaway server {name!r}")
    else:
        cluster = _load_state(name)
        if cluster is None:
            raise UsageError(f"no throwaway server {name!r} is running (make db-up)")
        print(cluster.url())
    return 0


if __name__ == "__main__":
    cli_main(main)()
