"""The SQL side of `make archive-legacy` and `make restore-legacy`: which tables, their
definitions read from the catalog, their rows through COPY, the table_checksum of 0037, the
record in migration.legacy_archives, and a table rebuilt from an archive's definition.

Every session that copies rows fixes the settings a row's text depends on (SESSION_SETTINGS,
the same values table_checksum() sets in itself): the COPY text of a timestamptz or a date
depends on TimeZone and DateStyle, so an archive written by a session in Asia/Seoul and one
written in UTC would differ byte for byte otherwise.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from psycopg2 import sql

from scripts.db.legacy_table import legacy_table

# The migration's own records of the legacy rows (0023, 0024; the backfill's verdicts, 0010), archived
# with it when present: the drop (0040) refuses unless an archive matches each.
RECORDS = (("migration", "quarantine_decisions"), ("migration", "placement_conflicts"),
           ("migration", "discarded_legacy_rows"), ("migration", "backfill_quarantine"))
ARCHIVES = "migration.legacy_archives"
CHECKSUM = "migration.table_checksum(regclass)"
SESSION_SETTINGS = (("TimeZone", "UTC"), ("DateStyle", "ISO, YMD"), ("IntervalStyle", "postgres"),
                    ("extra_float_digits", "1"), ("bytea_output", "hex"), ("client_encoding", "UTF8"))
# Constraints rebuilt from the archive: primary key, unique, check, exclusion. Foreign keys are
# recorded, not rebuilt (they name tables outside the archive: auth.users).
REBUILT = {"p": "PRIMARY KEY", "u": "UNIQUE", "c": "CHECK", "x": "EXCLUDE"}


@dataclass(frozen=True)
class Table:
    schema: str
    name: str

    @property
    def qualified(self) -> str:
        """As migration.archive_matches() names it: format('%I.%I'); plain names here."""
        return f"{self.schema}.{self.name}"

    def identifier(self) -> sql.Composable:
        return sql.Identifier(self.schema, self.name)


def fix_settings(cur) -> None:
    for name, value in SESSION_SETTINGS:
        cur.execute("SELECT set_config(%s, %s, false)", (name, value))


def installed(conn) -> bool:
    """Whether 0037 is applied here: the log and the checksum function exist."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL AND to_regprocedure(%s) IS NOT NULL", (ARCHIVES, CHECKSUM))
        return cur.fetchone()[0]


def has_checksum(conn) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regprocedure(%s) IS NOT NULL", (CHECKSUM,))
        return cur.fetchone()[0]


def archived_tables(conn) -> list[Table]:
    """The legacy table (habit_tracker_old, else habit_tracker; none: []) and the migration's
    records of it that exist here."""
    with conn.cursor() as cur:
        name = legacy_table(conn)
        legacy = None if name is None else Table("public", name)
        if legacy is None:
            return []
        records = []
        for schema, name in RECORDS:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{schema}.{name}",))
            if cur.fetchone()[0]:
                records.append(Table(schema, name))
    return [legacy, *records]


def definition(conn, table: Table) -> dict:
    """Columns (name, type as format_type prints it, NOT NULL) in order, and constraints
    (name, contype, pg_get_constraintdef): what rebuilds the table (`create_statement`)."""
    with conn.cursor() as cur:
        cur.execute("""
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
            FROM pg_attribute AS a
            WHERE a.attrelid = %s::REGCLASS AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum""", (table.qualified,))
        columns = [{"name": n, "type": t, "not_null": nn} for n, t, nn in cur.fetchall()]
        cur.execute("""
            SELECT c.conname, c.contype::TEXT, pg_get_constraintdef(c.oid)
            FROM pg_constraint AS c
            WHERE c.conrelid = %s::REGCLASS AND c.contype <> 'n'
            ORDER BY c.contype = 'p' DESC, c.conname""", (table.qualified,))
        constraints = [{"name": n, "type": t, "definition": d, "rebuilt": t in REBUILT} for n, t, d in cur.fetchall()]
    return {"columns": columns, "constraints": constraints}


def count_and_checksum(conn, table: Table) -> tuple[int, str]:
    with conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT count(*), migration.table_checksum(%s::REGCLASS) FROM {}").format(
            table.identifier()), (table.qualified,))
        rows, checksum = cur.fetchone()
    return rows, checksum


def copy_out(conn, table: Table, sink) -> None:
    """The table's rows, COPY text format, written to `sink` (settings fixed first)."""
    with conn.cursor() as cur:
        fix_settings(cur)
        cur.copy_expert(sql.SQL("COPY {} TO STDOUT").format(table.identifier()).as_string(conn), sink)


def create_statement(schema: str, name: str, table_def: dict) -> sql.Composable:
    """CREATE TABLE <schema>.<name> from an archive's definition. Type names are resolved by
    the server (`check_types` before this); constraint definitions are the text
    pg_get_constraintdef printed, checked by `constraint_text`."""
    parts = []
    for column in table_def["columns"]:
        parts.append(sql.SQL("{} {}{}").format(sql.Identifier(column["name"]), sql.SQL(column["type"]),
                                               sql.SQL(" NOT NULL") if column["not_null"] else sql.SQL("")))
    for constraint in table_def["constraints"]:
        if constraint["rebuilt"]:
            parts.append(sql.SQL("CONSTRAINT {} {}").format(sql.Identifier(constraint["name"]),
                                                          sql.SQL(constraint_text(constraint))))
    return sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(schema, name), sql.SQL(", ").join(parts))


def constraint_text(constraint: dict) -> str:
    """The definition, refused unless it is one constraint of a kind rebuilt (no statement
    separator): the archive is input."""
    text = constraint["definition"]
    kind = REBUILT.get(constraint["type"])
    if kind is None or not text.startswith(kind) or ";" in text:
        raise ValueError(f"constraint {constraint['name']!r}: not a {kind or 'rebuilt'} definition")
    return text


def check_types(conn, table_def: dict) -> None:
    """Each column type must parse as a type name of this server (regtype input accepts a
    type name and nothing else): the archive is input. An unknown type: psycopg2 error."""
    with conn.cursor() as cur:
        for column in table_def["columns"]:
            cur.execute("SELECT %s::REGTYPE", (column["type"],))


def load(conn, schema: str, name: str, table_def: dict, source) -> tuple[int, str]:
    """Create the table from the definition, COPY `source` (text format) into it; its count and
    table_checksum. In the caller's transaction."""
    check_types(conn, table_def)
    with conn.cursor() as cur:
        fix_settings(cur)
        cur.execute(create_statement(schema, name, table_def))
        cur.copy_expert(sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(schema, name)).as_string(conn), source)
    return count_and_checksum(conn, Table(schema, name))


def temp_schema(conn) -> str:
    """This session's pg_temp schema's real name (created on first use)."""
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS legacy_archive_probe () ON COMMIT DROP")
        cur.execute("SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema()")
        return cur.fetchone()[0]


def record(conn, *, archived_at, by: str | None, file_name: str, file_sha256: str, source: str,
           tables: dict[str, dict]) -> int:
    """One row of migration.legacy_archives; its id."""
    with conn.cursor() as cur:
        cur.execute("""
            INSERT INTO migration.legacy_archives (archived_at, archived_by, file_name, file_sha256, source_table, tables)
            VALUES (%s, coalesce(%s, current_user), %s, %s, %s, %s)
            RETURNING id""", (archived_at, by, file_name, file_sha256, source, json.dumps(tables)))
        return cur.fetchone()[0]


def safe_name(text: str) -> bool:
    """A member-name part: letters, digits, underscore (what our table names are)."""
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", text) is not None
