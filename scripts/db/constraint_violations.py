"""Which rows break a foreign key or check constraint: one definition, read from the catalog.

Used by `make preflight` (before validating NOT VALID constraints), by the validation
revisions (which stop, naming the constraint and the count, instead of letting VALIDATE fail
with a bare error), and by `make verify` (zero orphan rows for every foreign key).

The queries are built from pg_constraint itself: a check's violators are the rows where its
expression is false (NULL passes, as in PostgreSQL); a foreign key's are the rows whose
non-NULL key has no referenced row. Identifiers are quoted with psycopg2.sql; the check
expression is the catalog's own pg_get_constraintdef text.
"""
from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql

SAMPLE_SIZE = 5

CONSTRAINTS = """
SELECT c.conname, c.contype, c.convalidated, t.relname,
       pg_get_expr(c.conbin, c.conrelid) AS check_expr,
       rt.relname AS ref_table,
       ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n) AS cols,
       ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n) AS ref_cols,
       rn.nspname AS ref_schema
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_class rt ON rt.oid = c.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rt.relnamespace
WHERE n.nspname = 'public' AND c.contype IN ('c', 'f')
ORDER BY t.relname, c.conname
"""


@dataclass(frozen=True)
class Constraint:
    name: str
    kind: str  # 'c' check, 'f' foreign key
    validated: bool
    table: str
    check_expr: str | None
    ref_schema: str | None
    ref_table: str | None
    columns: tuple[str, ...]
    ref_columns: tuple[str, ...]

    @property
    def kind_label(self) -> str:
        return "FK" if self.kind == "f" else "CHECK"


@dataclass(frozen=True)
class Violations:
    constraint: Constraint
    count: int
    sample_ids: tuple[str, ...]


def constraints(conn, *, only_not_valid: bool = False, kind: str | None = None) -> list[Constraint]:
    with conn.cursor() as cur:
        cur.execute(CONSTRAINTS)
        rows = cur.fetchall()
    found = [
        Constraint(name, kind_, valid, table, expr, ref_schema, ref_table, tuple(cols), tuple(ref_cols))
        for name, kind_, valid, table, expr, ref_table, cols, ref_cols, ref_schema in rows
    ]
    return [
        c for c in found
        if (not only_not_valid or not c.validated) and (kind is None or c.kind == kind)
    ]


def violation_predicate(c: Constraint) -> sql.Composable:
    """A WHERE clause over alias `t` that is true exactly for the rows breaking `c`."""
    if c.kind == "c":
        return sql.SQL("({}) IS FALSE").format(sql.SQL(c.check_expr))
    key_present = sql.SQL(" AND ").join(sql.SQL("t.{} IS NOT NULL").format(sql.Identifier(col)) for col in c.columns)
    match = sql.SQL(" AND ").join(
        sql.SQL("r.{} = t.{}").format(sql.Identifier(rc), sql.Identifier(col))
        for col, rc in zip(c.columns, c.ref_columns, strict=True)
    )
    return sql.SQL("{} AND NOT EXISTS (SELECT 1 FROM {}.{} r WHERE {})").format(
        key_present, sql.Identifier(c.ref_schema), sql.Identifier(c.ref_table), match
    )


def violations(conn, c: Constraint, sample_size: int = SAMPLE_SIZE) -> Violations:
    """How many rows of c.table break c, and the ids of the first few."""
    query = sql.SQL(
        "SELECT count(*), (array_agg(t.id::TEXT ORDER BY t.id))[1:%s] FROM public.{} t WHERE {}"
    ).format(sql.Identifier(c.table), violation_predicate(c))
    with conn.cursor() as cur:
        cur.execute(query, (sample_size,))
        count, sample = cur.fetchone()
    return Violations(c, count, tuple(sample or ()))


class ConstraintViolated(RuntimeError):
    """A constraint about to be validated has offending rows. Its message is one line."""


def find(conn, table: str, name: str) -> Constraint:
    for c in constraints(conn):
        if c.table == table and c.name == name:
            return c
    raise ConstraintViolated(f"constraint {name} on {table} does not exist")


def refuse_if_violated(conn, table: str, name: str) -> None:
    """Raise ConstraintViolated naming the constraint and its offending rows, if any."""
    found = violations(conn, find(conn, table, name))
    if found.count:
        raise ConstraintViolated(
            f"cannot validate {name} on {table}: {found.count} offending rows "
            f"(first ids: {', '.join(found.sample_ids)}); run `make preflight`, fix the data, "
            "then run the same upgrade again"
        )
