"""Every archive `make archive-legacy` writes is recorded with its checksums, so that the drop of the legacy table can refuse without one that matches

Revision: 0037_legacy_archive_log
Revises: 0036_legacy_reader_windows
Created: 2026-11-30 04:10:00

What and why
    Phase 3 (issue #21 point 4) drops the legacy table; the original team dropped theirs with
    nothing but a JSON backup and a restore script that was never written (JOURNEY_FACTS).
    Here the drop revision must be able to ask the database "is there an archive holding this
    table exactly as it is now?". So:

    - migration.table_checksum(REGCLASS) RETURNS TEXT: THE content checksum, one SQL
      definition for `make archive-legacy` (what it records), `make restore-legacy` (what it
      checks the rebuilt table against) and the drop revision. md5 over the sorted md5 of
      each row's text form (row::text), newline-joined: it depends on the multiset of rows
      only, not on physical order, a key or a collation, and holds 33 bytes a row in memory.
      Stable across COPY out and in, sessions and majors 15-18: the SET clauses fix what a
      row's text depends on (TimeZone 'UTC' and DateStyle 'ISO, YMD' for timestamptz and
      date, IntervalStyle, extra_float_digits, bytea_output); jsonb prints its canonical
      stored form (keys ordered, one spacing), whatever text it was written from; text is
      compared as the server's UTF8 bytes. An empty table: md5('').
    - migration.legacy_archives: one row per archive written (by the command, after it has
      re-read the file): archived_at (the snapshot's time), archived_by (current_user or the
      operator's BY=), file_name (as given), file_sha256 (of the whole file), source_table
      ('habit_tracker', or 'habit_tracker_old' after the rename revision), tables (JSONB: per
      archived table, by its schema-qualified name, {"rows": n, "checksum": "..."}; the
      source table must be among them), recorded_at.
    - migration.archive_matches(REGCLASS) RETURNS BOOLEAN: whether some recorded archive
      holds the table with its row count and table_checksum as they are now. The drop
      revision calls it for each table it drops that was archived, and refuses on false.

    Owner only: schema migration has no USAGE for an API role and no default privileges, the
    table and its identity sequence get no grant, EXECUTE is revoked from PUBLIC on both
    functions (the "privileges" line of `make verify` is unchanged).

    Data: no existing row changes; the table starts empty.

Locks taken, and for how long
    CREATE TABLE and CREATE FUNCTION in schema migration: catalog only, new objects. No lock
    on habit_tracker or the new tables. Timeouts: lock_timeout '5s', statement_timeout '60s'.
    Later, table_checksum() reads a whole table (ACCESS SHARE, a sequential scan: well under
    a second for 34,000 legacy rows) and blocks no writer.

How to verify
    `make verify`: "legacy archives: migration.legacy_archives present, owner only; 2
    functions, none executable by PUBLIC/anon/authenticated; N archives recorded".
    By hand: SELECT migration.table_checksum('public.habit_tracker');
    `make archive-legacy` adds one row; then
    SELECT migration.archive_matches('public.habit_tracker');   -- true until a row changes

How to roll back
    `make downgrade` (to 0036) drops both functions and the table, with the record of every
    archive written (the archive files themselves stay where they were written). A drop
    revision applied above this one cannot be reached back to: it is one-way.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0037_legacy_archive_log"
down_revision = "0036_legacy_reader_windows"
branch_labels = None
depends_on = None

CREATE = (
    """CREATE TABLE migration.legacy_archives (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    archived_at TIMESTAMPTZ NOT NULL,
    archived_by TEXT NOT NULL DEFAULT current_user,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    source_table TEXT NOT NULL,
    tables JSONB NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ck_legacy_archives_source CHECK (source_table IN ('habit_tracker', 'habit_tracker_old')),
    CONSTRAINT ck_legacy_archives_sha256 CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT ck_legacy_archives_tables CHECK (
        jsonb_typeof(tables) = 'object' AND tables ? ('public.' || source_table)
    )
)""",
    """COMMENT ON TABLE migration.legacy_archives IS
    'Every archive make archive-legacy wrote: file, sha256, per table its rows and table_checksum (archive_matches reads it)'""",
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for statement in CREATE:
        op.execute(statement)
    execute("functions/migration.table_checksum", "0037")
    execute("functions/migration.archive_matches", "0037")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute("DROP FUNCTION migration.archive_matches(REGCLASS)")
    op.execute("DROP FUNCTION migration.table_checksum(REGCLASS)")
    op.execute("DROP TABLE migration.legacy_archives")
