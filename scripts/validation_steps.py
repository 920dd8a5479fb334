"""The two halves of a constraint-validation revision, shared by 0005 and 0006.

Upgrade: for each constraint, in its own autocommit statement, a preflight count of the rows
that break it (stop with one line naming it and the count) and then
`ALTER TABLE ... VALIDATE CONSTRAINT`. Each VALIDATE commits on its own, so a failure leaves
the ones before it validated; re-running validates the rest (re-validating is a no-op).

Downgrade: PostgreSQL has no "un-validate", so each constraint is dropped and added again
NOT VALID, with the definition the revision writes out, one short transaction each.
"""
from __future__ import annotations

from alembic import context, op

from scripts.constraint_violations import refuse_if_violated

# VALIDATE scans the whole table (and, for a foreign key, probes the referenced one) while
# holding only SHARE UPDATE EXCLUSIVE: reads and writes go on, so a long scan is acceptable.
VALIDATE_STATEMENT_TIMEOUT = "30min"
VALIDATE_LOCK_TIMEOUT = "5s"


def validate_each(constraints: tuple[tuple[str, str, str], ...]) -> None:
    with op.get_context().autocommit_block():
        op.execute(f"SET lock_timeout = '{VALIDATE_LOCK_TIMEOUT}'")
        op.execute(f"SET statement_timeout = '{VALIDATE_STATEMENT_TIMEOUT}'")
        for table, name, _definition in constraints:
            if not context.is_offline_mode():
                refuse_if_violated(op.get_bind().connection.dbapi_connection, table, name)
            # squawk's prefer-robust-stmts wants re-runnable statements outside a
            # transaction: VALIDATE is, re-validating a valid constraint is a no-op.
            op.execute(f"-- squawk-ignore prefer-robust-stmts\nALTER TABLE {table} VALIDATE CONSTRAINT {name}")


def unvalidate_each(constraints: tuple[tuple[str, str, str], ...]) -> None:
    # DROP + ADD take ACCESS EXCLUSIVE on the table (and the referenced table for a foreign
    # key) for milliseconds: one explicit transaction per constraint keeps each hold short
    # and never leaves a table without its constraint.
    with op.get_context().autocommit_block():
        for table, name, definition in reversed(constraints):
            op.execute("BEGIN")
            op.execute(f"SET LOCAL lock_timeout = '{VALIDATE_LOCK_TIMEOUT}'")
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition} NOT VALID")
            op.execute("COMMIT")
