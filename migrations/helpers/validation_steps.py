"""The two halves of a constraint-validation revision, shared by 0005 and 0006.

Upgrade: for each constraint, in its own autocommit statement, a preflight count of the rows
that break it (stop with one line naming it and the count) and then
`ALTER TABLE ... VALIDATE CONSTRAINT`. Each VALIDATE commits on its own, so a failure leaves
the ones before it validated; re-running validates the rest (re-validating is a no-op).

Downgrade: PostgreSQL has no "un-validate", so each constraint is dropped and added again
NOT VALID, with the definition the revision writes out, one short transaction each.

Self-contained on purpose (#18): the offending-row count is this module's own, frozen with the
revisions that use it, not scripts/db/constraint_violations.py, which preflight, verify and
drift may change. Both read the constraint's definition from pg_constraint and count the same
rows: a check's rows where its expression is false, a foreign key's rows whose non-NULL key has
no referenced row.
"""
from __future__ import annotations

from alembic import context, op
from psycopg2 import sql

# VALIDATE scans the whole table (and, for a foreign key, probes the referenced one) while
# holding only SHARE UPDATE EXCLUSIVE: reads and writes go on, so a long scan is acceptable.
VALIDATE_STATEMENT_TIMEOUT = "30min"
VALIDATE_LOCK_TIMEOUT = "5s"


# One constraint of public: its table, kind, check expression and foreign key's columns.
CONSTRAINT = """
SELECT c.contype, pg_get_expr(c.conbin, c.conrelid), rn.nspname, rt.relname,
       ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k (attnum, n)
             JOIN pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n),
       ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY AS k (attnum, n)
             JOIN pg_attribute AS a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n)
FROM pg_constraint AS c
JOIN pg_class AS t ON t.oid = c.conrelid
JOIN pg_namespace AS n ON n.oid = t.relnamespace
LEFT JOIN pg_class AS rt ON rt.oid = c.confrelid
LEFT JOIN pg_namespace AS rn ON rn.oid = rt.relnamespace
WHERE n.nspname = 'public' AND t.relname = %s AND c.conname = %s AND c.contype IN ('c', 'f')
"""
SAMPLE_SIZE = 5


class ConstraintViolated(RuntimeError):
    """A constraint about to be validated has offending rows. Its message is one line."""


def refuse_if_violated(conn, table: str, name: str) -> None:
    """Raise ConstraintViolated naming the constraint and its offending rows, if any."""
    with conn.cursor() as cur:
        cur.execute(CONSTRAINT, (table, name))
        found = cur.fetchone()
        if found is None:
            raise ConstraintViolated(f"constraint {name} on {table} does not exist")
        kind, check_expr, ref_schema, ref_table, columns, ref_columns = found
        if kind == "c":
            broken = sql.SQL("({}) IS FALSE").format(sql.SQL(check_expr))
        else:
            key_present = sql.SQL(" AND ").join(sql.SQL("t.{} IS NOT NULL").format(sql.Identifier(c)) for c in columns)
            match = sql.SQL(" AND ").join(sql.SQL("r.{} = t.{}").format(sql.Identifier(rc), sql.Identifier(c))
                                          for c, rc in zip(columns, ref_columns, strict=True))
            broken = sql.SQL("{} AND NOT EXISTS (SELECT 1 FROM {}.{} r WHERE {})").format(
                key_present, sql.Identifier(ref_schema), sql.Identifier(ref_table), match)
        cur.execute(sql.SQL("SELECT count(*), (array_agg(t.id::TEXT ORDER BY t.id))[1:%s] FROM public.{} t WHERE {}")
                    .format(sql.Identifier(table), broken), (SAMPLE_SIZE,))
        count, sample = cur.fetchone()
    if count:
        raise ConstraintViolated(
            f"cannot validate {name} on {table}: {count} offending rows "
            f"(first ids: {', '.join(sample or ())}); run `make preflight`, fix the data, "
            "then run the same upgrade again"
        )


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
