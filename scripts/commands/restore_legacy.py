"""`make restore-legacy FILE=file`: rebuild the tables of a `make archive-legacy` file on a throwaway database, and prove them equal to what was archived.

    python -m scripts.commands.restore_legacy --file FILE

Refused (exit 2, one line) unless DATABASE_URL names a throwaway database: the names of
scripts/dev/throwaway_pg.py THROWAWAY_DBNAMES on this machine, the rule `migrate -x gate=skip`
applies (scripts/commands/migrate.py skip_refusal). Restoring into production is a DBA's
deliberate act, done by hand (docs/RUNBOOK.md, "Restore the legacy archive"): restore here
into a scratch database, then move the rows needed.

The target database must have migration.table_checksum() (0037: `make upgrade` first), the one
definition of the content checksum, and no schema `legacy_restore`. Then:
1. the file is checked against its manifest: manifest.json against manifest.json.sha256, each
   member's sha256 against the manifest (exit 1 naming the first member that differs);
2. in one transaction, schema `legacy_restore` is created and each archived table rebuilt in
   it under its original name (legacy_restore.habit_tracker, legacy_restore.quarantine_decisions,
   ...): its columns, types, NOT NULL, primary key, unique and check constraints as archived
   (foreign keys are listed in the manifest, not rebuilt: they name auth.users and the
   migration schema). Its own schema, always: the restored tables never meet the database's
   own habit_tracker or migration tables, whatever revision it is at;
3. its rows are loaded (COPY FROM STDIN, the settings of the archive's session), and its row
   count and table_checksum must equal the manifest's (exit 1 naming the table otherwise: the
   transaction is rolled back, nothing stays).

Exit 0 restored and equal; 1 damaged archive or a table that does not check; 2 bad input, no
database, not throwaway, no table_checksum, legacy_restore exists (one line).
"""
from __future__ import annotations

from pathlib import Path

import psycopg2
from psycopg2 import sql

from scripts.commands.migrate import skip_refusal
from scripts.db import legacy_archive as la
from scripts.db import legacy_archive_file as af
from scripts.db.database_url import connect
from scripts.db.errors import CheckFailed, OneLineParser, UsageError, cli_main, one_line

USAGE = "usage: python -m scripts.commands.restore_legacy --file FILE"
SCHEMA = "legacy_restore"


def refuse_unless_ready(conn) -> None:
    why = skip_refusal(conn)
    if why:
        raise UsageError(f"restore-legacy runs on a throwaway database only: {why}; restore there, then move rows "
                         "(docs/RUNBOOK.md)")
    if not la.has_checksum(conn):
        raise UsageError(f"{la.CHECKSUM} does not exist here: make upgrade (0037_legacy_archive_log) first")
    with conn.cursor() as cur:
        cur.execute("SELECT to_regnamespace(%s) IS NOT NULL", (SCHEMA,))
        if cur.fetchone()[0]:
            raise UsageError(f"schema {SCHEMA} exists here: DROP SCHEMA {SCHEMA} CASCADE first")


def check_names(manifest: dict) -> None:
    names = [t["table"] for t in manifest["tables"]]
    for table in manifest["tables"]:
        if not (la.safe_name(table["schema"]) and la.safe_name(table["table"])):
            raise CheckFailed(f"manifest.json names a table {table['name']!r} this command does not restore")
    if len(set(names)) != len(names):
        raise CheckFailed(f"manifest.json names two tables alike in {SCHEMA}: {sorted(names)}")


def restore(conn, archive: af.Archive) -> list[str]:
    """Each table rebuilt and loaded in one transaction, committed only when all check; the lines to print."""
    lines = []
    with conn.cursor() as cur:
        cur.execute("BEGIN")
        cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCHEMA)))
    try:
        for table in archive.manifest["tables"]:
            source = archive.rows(table)
            try:
                rows, checksum = la.load(conn, SCHEMA, table["table"], table, source)
            except ValueError as exc:
                raise CheckFailed(f"{table['name']}: {exc}") from None
            if (rows, checksum) != (table["rows"], table["checksum"]):
                raise CheckFailed(f"{table['name']}: restored {rows} rows, checksum {checksum}; the archive says "
                                  f"{table['rows']} rows, checksum {table['checksum']}")
            if source.digest.hexdigest() != table["copy_sha256"]:
                raise CheckFailed(f"{table['member']}: the decompressed rows differ from the archived COPY text")
            lines.append(f"{SCHEMA}.{table['table']}: {rows} rows, checksum {checksum} = archived {table['name']}")
        with conn.cursor() as cur:
            cur.execute("COMMIT")
    except BaseException:
        with conn.cursor() as cur:
            cur.execute("ROLLBACK")
        raise
    return lines


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="restore-legacy", description=__doc__.splitlines()[0], usage_line=USAGE)
    parser.add_argument("--file", default="", help="the archive make archive-legacy wrote")
    args = parser.parse_args(argv)
    if not args.file:
        raise UsageError(f"FILE is required ({USAGE})")
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"{path} is not a file")
    conn = connect(autocommit=True)
    try:
        refuse_unless_ready(conn)
        try:
            archive = af.Archive(path)
        except af.ArchiveDamaged as exc:
            raise CheckFailed(f"{path}: {exc}") from None
        try:
            check_names(archive.manifest)
            lines = restore(conn, archive)
        except af.ArchiveDamaged as exc:
            raise CheckFailed(f"{path}: {exc}") from None
        finally:
            archive.close()
    except psycopg2.Error as exc:
        raise CheckFailed(f"restore-legacy failed, nothing restored: {one_line(exc)}") from None
    finally:
        conn.close()
    for line in lines:
        print(line)
    print(f"restored {len(lines)} tables from {path} (archived {archive.manifest['archived_at']}) into schema {SCHEMA}: "
          "every row count and checksum equal")
    return 0


if __name__ == "__main__":
    cli_main(main)()
