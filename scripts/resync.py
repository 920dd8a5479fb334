"""`make resync`: bring every legacy row that is out of step back into the new tables.

    python -m scripts.resync

Re-syncs, one legacy row at a time with migration.sync_legacy_row() (revision 0012, the
trigger's own path), every row that needs it:
- the rows whose sync failed (migration.sync_failures, recorded by the trigger);
- the rows changed since their last sync (their hash differs from migration.sync_state:
  written while the trigger was off or skipped), rows never synced, rows deleted since,
  and the other rows of their child-weeks — the same selection `make drift` re-maps.

Each row runs in its own savepoint: a row that still fails is recorded in
migration.sync_failures and the others go on. Exit 0 when every row synced, 1 when some
still fail (named on stderr), 2 when it cannot run.
"""
from __future__ import annotations

import sys

import psycopg2

from scripts.database_url import connect
from scripts.drift import SELECT_ROWS
from scripts.errors import CheckFailed, UsageError, cli_main

SOURCE = "dual_write"
COMMIT_EVERY = 500
OUT_OF_STEP = """SELECT legacy_id FROM drift_remap UNION SELECT legacy_id FROM migration.sync_failures
                 ORDER BY legacy_id"""
SYNC_ROW = "SELECT migration.sync_legacy_row(%s, %s)"
RECORD_FAILURE = """INSERT INTO migration.sync_failures AS f (legacy_id, operation, sqlstate, message)
                    VALUES (%s, 'RESYNC', %s, %s)
                    ON CONFLICT (legacy_id) DO UPDATE SET operation = excluded.operation,
                        sqlstate = excluded.sqlstate, message = excluded.message,
                        attempts = f.attempts + 1, last_failed_at = now()"""


def out_of_step(conn) -> list[int]:
    with conn.cursor() as cur:
        for statement in SELECT_ROWS:
            cur.execute(statement, {"min_age": 0, "full": False})
        cur.execute(OUT_OF_STEP)
        ids = [row[0] for row in cur.fetchall()]
    conn.commit()
    return ids


def resync(conn, ids: list[int]) -> list[tuple[int, str]]:
    """Sync each id in its own savepoint; return the (id, error) of those that failed."""
    failed = []
    with conn.cursor() as cur:
        for n, legacy_id in enumerate(ids, 1):
            cur.execute("SAVEPOINT resync_row")
            try:
                cur.execute(SYNC_ROW, (legacy_id, SOURCE))
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cur.execute("DELETE FROM migration.sync_failures WHERE legacy_id = %s", (legacy_id,))
                cur.execute("RELEASE SAVEPOINT resync_row")
            except psycopg2.Error as exc:
                cur.execute("ROLLBACK TO SAVEPOINT resync_row")
                message = " ".join(str(exc.diag.message_primary or exc).split())
                cur.execute(RECORD_FAILURE, (legacy_id, exc.pgcode or "XX000", message))
                failed.append((legacy_id, message))
            if n % COMMIT_EVERY == 0:
                conn.commit()
    conn.commit()
    return failed


def main(argv: list[str]) -> int:
    if argv:
        raise UsageError("usage: python -m scripts.resync")
    conn = connect(autocommit=False)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regprocedure('migration.sync_legacy_row(bigint,text,uuid)') IS NOT NULL")
            if not cur.fetchone()[0]:
                raise UsageError("the database has no row sync: upgrade to 0012_dual_write_trigger_sync first")
        conn.commit()
        ids = out_of_step(conn)
        failed = resync(conn, ids)
    except psycopg2.Error as exc:
        raise UsageError(f"resync could not run: {' '.join(str(exc).split())}") from None
    finally:
        conn.close()
    print(f"resynced {len(ids) - len(failed)} of {len(ids)} legacy rows out of step")
    if failed:
        for legacy_id, message in failed[:10]:
            print(f"resync: legacy row {legacy_id} still fails: {message}", file=sys.stderr)
        raise CheckFailed(f"{len(failed)} legacy rows still fail to sync (migration.sync_failures)")
    return 0


if __name__ == "__main__":
    cli_main(main)()
