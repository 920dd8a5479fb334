"""Where every command finds its database: DATABASE_URL, from the environment or `.env`.

This module is the only place that reads the setting, checks it, and turns connection
failures into one-line errors (exit 2).
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2

from scripts.db.errors import UsageError

REPO_ROOT = Path(__file__).resolve().parents[2]
DOTENV = Path(".env")  # relative to the working directory, as dotenv tools do
CONNECT_TIMEOUT_SECONDS = 5


def _from_dotenv(path: Path) -> str | None:
    if not path.is_file():
        return None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("export "):
            line = line[len("export ") :].strip()
        key, sep, value = line.partition("=")
        if sep and key.strip() == "DATABASE_URL":
            return value.strip().strip("'\"")
    return None


def database_url() -> str:
    """DATABASE_URL from the environment, else from `.env`; UsageError when absent or malformed."""
    url = os.environ.get("DATABASE_URL") or _from_dotenv(DOTENV)
    if not url:
        raise UsageError("DATABASE_URL is not set (export it, or put DATABASE_URL=... in .env)")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "postgresql+psycopg2"):
        raise UsageError(
            f"DATABASE_URL must be a postgresql:// URL, got scheme {parts.scheme or '(none)'!r}"
        )
    if not parts.path.strip("/"):
        raise UsageError("DATABASE_URL names no database (expected postgresql://user@host:port/dbname)")
    return url


def libpq_url(url: str) -> str:
    """The URL in the form libpq accepts (no SQLAlchemy driver suffix)."""
    scheme, sep, rest = url.partition("://")
    return ("postgresql" + sep + rest) if scheme.startswith("postgres") else url


def sqlalchemy_url(url: str) -> str:
    """The URL in the form SQLAlchemy accepts, with the psycopg2 driver."""
    return "postgresql+psycopg2://" + libpq_url(url).partition("://")[2]


def redacted(url: str) -> str:
    """The URL with any password replaced, for messages."""
    parts = urlsplit(libpq_url(url))
    if parts.password is None:
        return parts.geturl()
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def connect(url: str | None = None, *, autocommit: bool = True) -> psycopg2.extensions.connection:
    """A psycopg2 connection, or UsageError naming why the database cannot be reached."""
    url = url or database_url()
    try:
        conn = psycopg2.connect(libpq_url(url), connect_timeout=CONNECT_TIMEOUT_SECONDS)
    except psycopg2.OperationalError as exc:
        raise UsageError(f"cannot connect to {redacted(url)}: {' '.join(str(exc).split())}") from None
    conn.autocommit = autocommit
    return conn


def require_supabase_auth(conn: psycopg2.extensions.connection) -> None:
    """UsageError unless the database has what Supabase provides and the schema relies on."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT to_regclass('auth.users') IS NOT NULL,"
            " to_regprocedure('auth.uid()') IS NOT NULL"
        )
        has_users, has_uid = cur.fetchone()
    if not has_users:
        raise UsageError("the database lacks auth.users: this is not a Supabase database (or its stand-in)")
    if not has_uid:
        raise UsageError("the database lacks auth.uid(): this is not a Supabase database (or its stand-in)")


def require_revision_object(conn: psycopg2.extensions.connection, regprocedure: str, missing: str) -> None:
    """UsageError(missing) unless the function `regprocedure` (e.g. 'migration.f(bigint)')
    exists: the check a command makes that the database is at the revision it needs."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regprocedure(%s) IS NOT NULL", (regprocedure,))
        present = cur.fetchone()[0]
    if not present:
        raise UsageError(missing)
