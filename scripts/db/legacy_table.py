"""Which name the legacy table has now, read from the catalog (never from the revision).

    public.habit_tracker        from 0001 to the freeze (0038) included
    public.habit_tracker_old    renamed by 0039_rename_legacy, read-only, kept for the retention
    None                        not created yet (base), or dropped (Phase 3's drop)

One answer for every command and check that reads the legacy rows (report, read parity, the
read switch's user count, legacy-readers, the archive, verify), so none of them names the table
itself. `retired(conn)` says whether Phase 3 has recorded the rename (migration.retired_legacy_table).
"""
from __future__ import annotations

from psycopg2 import sql

NAMES = ("habit_tracker", "habit_tracker_old")
RENAME_REVISION = "0039_rename_legacy"
DROP_REVISION = "0040_drop_legacy"
RETIRED = "migration.retired_legacy_table"


def legacy_table(conn) -> str | None:
    """The bare name of the legacy table in schema public, or None when there is none."""
    with conn.cursor() as cur:
        cur.execute("""SELECT n.name FROM unnest(%s::TEXT[]) WITH ORDINALITY AS n (name, pos)
                       WHERE to_regclass('public.' || quote_ident(n.name)) IS NOT NULL ORDER BY n.pos LIMIT 1""",
                    (list(NAMES),))
        row = cur.fetchone()
    return None if row is None else row[0]


def identifier(conn) -> sql.Identifier | None:
    """public.<the legacy table> for psycopg2.sql, or None."""
    name = legacy_table(conn)
    return None if name is None else sql.Identifier("public", name)


def retired(conn) -> bool:
    """Whether 0039 has renamed the table (its status row's table exists)."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (RETIRED,))
        return cur.fetchone()[0]


def dropped(conn) -> bool:
    """Whether Phase 3 is over: the rename recorded and no legacy table left (0040)."""
    return legacy_table(conn) is None and retired(conn)
