"""The DBA's migration commands: Alembic, with preflight checks and one-line errors.

    python -m scripts.commands.migrate upgrade [REV]      (default: head)
    python -m scripts.commands.migrate downgrade [REV]    (default: -1, one step back)
    python -m scripts.commands.migrate current | history
    python -m scripts.commands.migrate sql [FROM:TO]      (offline SQL for review; no database)
    python -m scripts.commands.migrate stamp REV          (record REV without running anything)

Options after the revision are passed to the revisions as `-x key=value` (alembic's
get_x_argument), e.g. `downgrade base -x allow_legacy_drop=true`.

Exit 2 when the command cannot run (no DATABASE_URL, database down, not a Supabase
database, unknown revision); exit 1 when a revision fails (its transaction is rolled back,
earlier revisions stay applied, and the same command can be run again once fixed).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy.exc import DBAPIError, OperationalError

from scripts.db.database_url import REPO_ROOT, connect, require_supabase_auth
from scripts.db.errors import CheckFailed, UsageError, cli_main, one_line

ALEMBIC_INI = REPO_ROOT / "alembic.ini"
USAGE = "usage: python -m scripts.commands.migrate upgrade|downgrade|current|history|sql|stamp [REV]"


def alembic_config(ini: Path = ALEMBIC_INI) -> Config:
    return Config(str(ini))


def preflight() -> None:
    """The database is reachable and has the Supabase objects the schema depends on."""
    conn = connect()
    try:
        require_supabase_auth(conn)
    finally:
        conn.close()


def _database_error(exc: DBAPIError) -> str:
    orig = getattr(exc, "orig", None)
    diag = getattr(orig, "diag", None)
    message = getattr(diag, "message_primary", None) or one_line(orig or exc)
    sqlstate = getattr(orig, "pgcode", None)
    return f"{message} (SQLSTATE {sqlstate})" if sqlstate else message


def run(action: str, rev: str | None, x_args: list[str]) -> None:
    cfg = alembic_config()
    cfg.cmd_opts = argparse.Namespace(x=x_args)
    if action == "sql":
        command.upgrade(cfg, rev or "base:head", sql=True)
        return
    preflight()
    if action == "upgrade":
        command.upgrade(cfg, rev or "head")
    elif action == "downgrade":
        command.downgrade(cfg, rev or "-1")
    elif action == "current":
        command.current(cfg, verbose=False)
    elif action == "history":
        command.history(cfg, indicate_current=True)
    elif action == "stamp":
        if not rev:
            raise UsageError("stamp needs a revision: make stamp REV=<revision>")
        command.stamp(cfg, rev)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("upgrade", "downgrade", "current", "history", "sql", "stamp"):
        raise UsageError(USAGE)
    action, rest = argv[0], argv[1:]
    x_args = [rest[i + 1] for i, arg in enumerate(rest[:-1]) if arg == "-x"]
    positional = [arg for i, arg in enumerate(rest) if arg != "-x" and (i == 0 or rest[i - 1] != "-x")]
    if len(positional) > 1 or any("=" not in x for x in x_args):
        raise UsageError(USAGE + " [-x key=value ...]")
    rev = positional[0] if positional and positional[0] else None
    try:
        run(action, rev, x_args)
    except CommandError as exc:
        raise UsageError(one_line(exc)) from None
    except OperationalError as exc:
        if getattr(exc.orig, "pgcode", None) is None:
            raise UsageError(f"lost the database: {_database_error(exc)}") from None
        raise CheckFailed(f"{action} failed: {_database_error(exc)}") from None
    except DBAPIError as exc:
        raise CheckFailed(f"{action} failed: {_database_error(exc)}") from None
    except RuntimeError as exc:
        raise CheckFailed(f"{action} refused: {one_line(exc)}") from None
    return 0


if __name__ == "__main__":
    cli_main(main)()
