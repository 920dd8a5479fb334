"""Alembic environment: how every revision is run against PostgreSQL.

- The database comes from DATABASE_URL only (scripts/db/database_url.py), or from a connection
  handed in by the test tooling (`config.attributes["connection"]`).
- One transaction per revision (`transaction_per_migration`), so a failing revision leaves
  every earlier one committed and itself not applied at all.
- Every session runs with lock_timeout and statement_timeout set: a migration that cannot get
  its lock quickly gives up instead of queueing the application's queries behind it. A
  revision that needs more raises them itself, and the defaults are put back after each
  revision.
- A session-level advisory lock serialises concurrent `make upgrade` runs. It is taken before
  any migration runs and is not transaction-scoped, so `autocommit_block()` (CREATE INDEX
  CONCURRENTLY) commits around it without releasing it. A second run polls for it rather than
  blocking, so it never holds a snapshot that the first run's CONCURRENTLY build would wait on.
- Every step applied (upgrade, downgrade, stamp) is recorded with its time and role in
  alembic.alembic_version_history (scripts/db/version_history.py), in the step's own transaction:
  alembic_version holds only the current head. A step whose gate was skipped
  (scripts/commands/migrate.py, `-x gate=skip`) carries a note there, handed in by the command
  as `config.attributes["version_history_notes"]`.
"""
from __future__ import annotations

import time
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, create_engine, pool, text

from scripts.db.database_url import database_url, sqlalchemy_url
from scripts.db.migration_settings import (
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_STATEMENT_TIMEOUT,
    MIGRATION_ADVISORY_LOCK_KEY,
    MIGRATION_LOCK_POLL_SECONDS,
    MIGRATION_LOCK_WAIT_SECONDS,
)
from scripts.db.version_history import record_step

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _set_session_defaults(connection) -> None:
    connection.execute(text(f"SET lock_timeout = '{DEFAULT_LOCK_TIMEOUT}'"))
    connection.execute(text(f"SET statement_timeout = '{DEFAULT_STATEMENT_TIMEOUT}'"))


def _after_revision(ctx, step, heads, run_args) -> None:  # noqa: ARG001
    """Undo any session-level SET a revision made (autocommit blocks cannot use SET LOCAL), and
    record the step in the version history (online only; this callback is not passed offline)."""
    _set_session_defaults(ctx.connection)
    if not ctx.as_sql:
        record_step(ctx.connection, step, config.attributes.get("version_history_notes"))


def run_migrations_offline() -> None:
    """Render the SQL for review (`alembic upgrade A:B --sql`); no database needed."""
    context.configure(
        url="postgresql://",
        dialect_name="postgresql",
        literal_binds=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.execute(f"SET lock_timeout = '{DEFAULT_LOCK_TIMEOUT}'")
        context.execute(f"SET statement_timeout = '{DEFAULT_STATEMENT_TIMEOUT}'")
        context.run_migrations()


def _acquire_migration_lock(connection) -> None:
    """Take the session-level migration lock, polling instead of blocking.

    A blocked `SELECT pg_advisory_lock()` would sit in a transaction with a snapshot, and the
    running migration's CREATE INDEX CONCURRENTLY waits for every older snapshot in the
    database: the two would deadlock. Each try here is its own short transaction.
    """
    deadline = time.monotonic() + MIGRATION_LOCK_WAIT_SECONDS
    while True:
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_ADVISORY_LOCK_KEY}).scalar()
        connection.commit()
        if got:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"another migration has held the migration lock for over {MIGRATION_LOCK_WAIT_SECONDS}s; not starting"
            )
        time.sleep(MIGRATION_LOCK_POLL_SECONDS)


def _run_with_connection(connection) -> None:
    if connection.in_transaction():
        connection.commit()
    _acquire_migration_lock(connection)
    _set_session_defaults(connection)
    # Commit so that the migration context starts outside any transaction and can run
    # each revision in a transaction of its own.
    connection.commit()
    try:
        context.configure(
            connection=connection,
            transaction_per_migration=True,
            on_version_apply=_after_revision,
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if connection.in_transaction():
            connection.rollback()
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_ADVISORY_LOCK_KEY})
        connection.commit()


def run_migrations_online() -> None:
    # The test tooling (pytest-alembic) hands in an Engine or a Connection.
    connectable = config.attributes.get("connection")
    if isinstance(connectable, Connection):
        _run_with_connection(connectable)
        return
    if connectable is None:
        connectable = create_engine(sqlalchemy_url(database_url()), poolclass=pool.NullPool)
    with connectable.connect() as connection:
        _run_with_connection(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
