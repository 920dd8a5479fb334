"""`make archive-legacy [OUT=file] [BY=name]`: a compressed, checksummed export of the legacy table and the migration's records of it, recorded in migration.legacy_archives.

    python -m scripts.commands.archive_legacy [--out FILE] [--by NAME]

Archives `habit_tracker_old` when it exists (after Phase 3's rename revision), else
`habit_tracker`, with migration.quarantine_decisions, migration.placement_conflicts,
migration.discarded_legacy_rows and migration.backfill_quarantine: per table its definition read from the catalog (columns,
types, NOT NULL, constraints: pg_dump is not needed), its rows (COPY ... TO STDOUT, text),
row count and content checksum (migration.table_checksum, 0037). All tables are read in one
REPEATABLE READ, READ ONLY transaction: one snapshot. The file's format:
scripts/db/legacy_archive_file.py. Default OUT: build/legacy-archive-<UTC time>.tar; an
existing file is never overwritten.

Before recording it, the command reads back what it wrote: the manifest's and every member's
sha256, each member decompressed to the same COPY text (sha256, row count), and its rows loaded
into a temporary table built from the archived definition, whose table_checksum must equal the
recorded one (then rolled back). Only then one row goes into migration.legacy_archives (file
name as given, its sha256, per table rows and checksum, current_user or --by): what the drop
revision's migration.archive_matches() reads.

Runs as `postgres`, not a superuser: COPY TO STDOUT needs only SELECT. Exit 0 archived and
recorded; 1 the file does not read back to the same checksums (not recorded; the file is left
for inspection); 2 bad input, no database, below 0037, no legacy table, OUT exists (one line).
"""
from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

import psycopg2

from scripts.commands.legacy_readers import parse_by
from scripts.db import legacy_archive as la
from scripts.db import legacy_archive_file as af
from scripts.db.database_url import connect
from scripts.db.errors import CheckFailed, OneLineParser, UsageError, cli_main, one_line
from scripts.db.legacy_table import NAMES

USAGE = "usage: python -m scripts.commands.archive_legacy [--out FILE] [--by NAME]"
BUILD = Path("build")


def output_path(out: str | None, now: dt.datetime) -> Path:
    path = Path(out) if out else BUILD / f"legacy-archive-{now:%Y%m%dT%H%M%SZ}.tar"
    if path.exists():
        raise UsageError(f"{path} exists: archives are never overwritten (give another OUT=)")
    if not path.parent.exists():
        if out:
            raise UsageError(f"{path.parent} does not exist")
        path.parent.mkdir(parents=True)
    return path


def snapshot(conn, workdir: Path) -> tuple[dict, dict[str, Path]]:
    """The manifest and the member files, every table read in one snapshot."""
    with conn.cursor() as cur:
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        la.fix_settings(cur)
        cur.execute("SELECT now(), current_database(), current_setting('server_version')")
        archived_at, database, version = cur.fetchone()
    tables = la.archived_tables(conn)
    if not tables:
        raise UsageError(f"no legacy table here (public.{' or public.'.join(NAMES)}): nothing to archive")
    entries, members = [], {}
    for table in tables:
        rows, checksum = la.count_and_checksum(conn, table)
        member = af.member_name(table.schema, table.name)
        path = workdir / member.replace("/", "_")
        sink = af.CopySink(path)
        try:
            la.copy_out(conn, table, sink)
        finally:
            sink.close()
        if sink.lines != rows:
            raise CheckFailed(f"{table.qualified}: COPY wrote {sink.lines} rows, count(*) says {rows}")
        entries.append({"name": table.qualified, "schema": table.schema, "table": table.name, "member": member,
                        "rows": rows, "checksum": checksum, "copy_sha256": sink.digest.hexdigest(),
                        "member_sha256": af.sha256_file(path), "member_bytes": path.stat().st_size,
                        **la.definition(conn, table)})
        members[member] = path
    with conn.cursor() as cur:
        cur.execute("COMMIT")
    manifest = {"format": af.FORMAT, "archived_at": archived_at.isoformat(), "database": database,
                "server_version": version, "source_table": tables[0].name,
                "checksum_function": "migration.table_checksum(regclass), revision 0037_legacy_archive_log",
                "session_settings": dict(la.SESSION_SETTINGS), "tables": entries}
    return manifest, members


def read_back(conn, path: Path, manifest: dict) -> list[str]:
    """What differs between the file as read back and the manifest written (empty: nothing)."""
    problems = []
    try:
        archive = af.Archive(path)
    except af.ArchiveDamaged as exc:
        return [str(exc)]
    try:
        if archive.manifest != manifest:
            problems.append("manifest.json does not read back as written")
        with conn.cursor() as cur:
            cur.execute("BEGIN")
        schema = la.temp_schema(conn)
        for table in manifest["tables"]:
            source = archive.rows(table)
            rows, checksum = la.load(conn, schema, f"archived_{table['schema']}_{table['table']}", table, source)
            if source.digest.hexdigest() != table["copy_sha256"] or source.lines != table["rows"]:
                problems.append(f"{table['member']}: the COPY text does not read back (sha256 or rows)")
            if (rows, checksum) != (table["rows"], table["checksum"]):
                problems.append(f"{table['name']}: read back {rows} rows, checksum {checksum}; "
                                f"archived {table['rows']} rows, checksum {table['checksum']}")
    except af.ArchiveDamaged as exc:
        problems.append(str(exc))
    finally:
        with conn.cursor() as cur:
            cur.execute("ROLLBACK")
        archive.close()
    return problems


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="archive-legacy", description=__doc__.splitlines()[0], usage_line=USAGE)
    parser.add_argument("--out", default=None, help="the archive file (default build/legacy-archive-<UTC>.tar)")
    parser.add_argument("--by", default=None, help="who archives, recorded (default: the database role)")
    args = parser.parse_args(argv)
    by = parse_by(args.by)
    conn = connect(autocommit=True)
    try:
        if not la.installed(conn):
            raise UsageError(f"{la.ARCHIVES} does not exist here: archive-legacy needs 0037_legacy_archive_log (make upgrade)")
        path = output_path(args.out, dt.datetime.now(dt.timezone.utc))
        with tempfile.TemporaryDirectory(prefix="legacy-archive-") as workdir:
            manifest, members = snapshot(conn, Path(workdir))
            archived_at = dt.datetime.fromisoformat(manifest["archived_at"])
            af.write(path, manifest, members, archived_at.timestamp())
        problems = read_back(conn, path, manifest)
        if problems:
            raise CheckFailed(f"{path} does not read back to the archived checksums (not recorded): {problems[0]}")
        file_sha256 = af.sha256_file(path)
        archive_id = la.record(conn, archived_at=archived_at, by=by, file_name=args.out or str(path),
                               file_sha256=file_sha256, source=manifest["source_table"],
                               tables={t["name"]: {"rows": t["rows"], "checksum": t["checksum"]}
                                       for t in manifest["tables"]})
    except psycopg2.Error as exc:
        raise UsageError(f"archive-legacy could not read or record: {one_line(exc)}") from None
    finally:
        conn.close()
    for table in manifest["tables"]:
        print(f"{table['name']}: {table['rows']} rows, checksum {table['checksum']}, "
              f"{table['member']} ({table['member_bytes']} bytes)")
    print(f"archive {archive_id} recorded: {path} sha256 {file_sha256}")
    return 0


if __name__ == "__main__":
    cli_main(main)()
