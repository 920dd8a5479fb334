"""Build (or drop) an index CONCURRENTLY from inside a revision, writes going on.

CREATE/DROP INDEX CONCURRENTLY cannot run in a transaction block, so each runs in an autocommit
block: the revision's transaction is committed before it and a new one begun after it, with the
revision's timeouts set again. The build holds SHARE UPDATE EXCLUSIVE (reads and writes go on) and
waits for the transactions already running on the table; lock_timeout 30s for that wait,
statement_timeout 30min for the build. A failed build leaves an INVALID index of that name, so
the build first drops any index of that name (this revision's own, from an earlier attempt):
re-running the upgrade builds it again (IF NOT EXISTS would keep an invalid one).

0003 and 0014 write the same steps out themselves; revisions from 0034 on call this module.
Frozen like a released revision (migrations/helpers/__init__.py): fix forward in a new module.
"""
from __future__ import annotations

from alembic import op

BUILD_LOCK_TIMEOUT = "30s"
BUILD_STATEMENT_TIMEOUT = "30min"


def _outside_transaction(statements: list[str], lock_timeout: str, statement_timeout: str) -> None:
    with op.get_context().autocommit_block():
        op.execute(f"SET lock_timeout = '{BUILD_LOCK_TIMEOUT}'")
        op.execute(f"SET statement_timeout = '{BUILD_STATEMENT_TIMEOUT}'")
        try:
            for statement in statements:
                op.execute(statement)
        finally:
            op.execute(f"SET lock_timeout = '{lock_timeout}'")
            op.execute(f"SET statement_timeout = '{statement_timeout}'")


def create_index_concurrently(name: str, create: str, *, lock_timeout: str, statement_timeout: str) -> None:
    """Drop the index `name` if an earlier attempt left it (INVALID after a failed build), then run `create` (CREATE INDEX
    CONCURRENTLY `name` ..., written out in the revision). The revision's own timeouts are
    restored after."""
    _outside_transaction([
        "SET client_min_messages = 'warning'",  # no NOTICE when there is nothing to drop
        f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
        "RESET client_min_messages",
        "-- squawk-ignore prefer-robust-stmts\n" + create,
    ], lock_timeout, statement_timeout)


def drop_index_concurrently(name: str, *, lock_timeout: str, statement_timeout: str) -> None:
    """DROP INDEX CONCURRENTLY IF EXISTS `name` (a downgrade's step), outside the transaction."""
    _outside_transaction([f"DROP INDEX CONCURRENTLY IF EXISTS {name}"], lock_timeout, statement_timeout)
