"""`make backfill`: every legacy habit_tracker row into the new tables, once, losing nothing.

    python -m scripts.commands.backfill [--batch N] [--repair-sunday-starts on|off]

Set-based, in batches of legacy ids (keyset order), each batch one short transaction that
calls migration.sync_legacy_ids() — the mapping (0023: every filled day on its own date, the
rows of a child-week merged; 0010 before), the same one the drift check, the trigger's drain
and the endpoint use. Rows it writes carry source_version = 'migration'.

- Idempotent: ids are deterministic and only differences are written; a second run writes
  nothing.
- Resumable: killed at any moment, the open batch rolls back; the next run redoes what is
  missing and skips (writes nothing for) what is done.
- Safe beside the application: no lock on habit_tracker. Rows inserted during the run are
  picked up by the keyset loop; rows updated or deleted during the run are caught by a
  final catch-up pass (legacy rows changed since the run began, rows deleted since their
  sync, and weeks no legacy row places any more).
- Nothing is lost silently: a row the mapping cannot take goes to
  migration.backfill_quarantine with a reason. At the end the backfill checks the invariant
  "every legacy row is migrated, quarantined or in flight" and exits 1 if it does not hold.
  In flight: a legacy write the sync trigger queued in migration.sync_queue (0013) after the
  catch-up read its rows, which the drain syncs (as `make drift` leaves it out); counted apart.

`--repair-sunday-starts on` (before 0023 only; retired since, with a usage error) stores the
policy in migration.settings: weeks stored as Sunday are moved to their Monday instead of
being quarantined. The default leaves the stored setting as it is (initially off).
"""
from __future__ import annotations

import argparse
import time

import psycopg2

from scripts.db.database_url import connect, require_revision_object
from scripts.db.errors import CheckFailed, UsageError, cli_main
from scripts.db.freeze import FREEZE_REVISION, frozen

DEFAULT_BATCH = 1000
SOURCE = "migration"
# Catch-up: legacy rows updated since this long before the run began are re-synced (a
# transaction's now() is its start, so a slow writer's updated_at can predate the run).
CATCH_UP_SLACK = "10 minutes"
BATCH_LOCK_TIMEOUT = "2s"
BATCH_STATEMENT_TIMEOUT = "5min"

NEXT_BATCH = "SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM habit_tracker WHERE id > %s ORDER BY id LIMIT %s) b"
SYNC = "SELECT * FROM migration.sync_legacy_ids(%s, %s)"
CHANGED_SINCE = """SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM habit_tracker
                   WHERE updated_at >= %s::TIMESTAMPTZ - %s::INTERVAL"""
# From 0023 on (days placed by date, migration.placed_weeks): rows deleted behind the keyset
# loop have their child-weeks placed again without them (from their sync state); then any week
# the mapping wrote that no child-week holds any more goes. A row is accounted for when a placed
# child-week lists it (every clean row has a home week) or it is quarantined.
DELETED_SINCE = """SELECT coalesce(array_agg(s.legacy_id ORDER BY s.legacy_id), '{}') FROM migration.sync_state AS s
                   WHERE NOT EXISTS (SELECT 1 FROM habit_tracker AS h WHERE h.id = s.legacy_id)"""
GONE = {
    True: """DELETE FROM weeks AS w
             WHERE w.source_version IN ('migration', 'dual_write')
               AND NOT EXISTS (SELECT 1 FROM migration.placed_weeks AS p WHERE p.week_id = w.id)
             RETURNING w.child_id""",
    False: """DELETE FROM weeks AS w
              WHERE w.source_version IN ('migration', 'dual_write')
                AND NOT EXISTS (SELECT 1 FROM habit_tracker AS h WHERE migration.week_id(h.id) = w.id)
              RETURNING w.child_id""",
}
DROP_CHILDLESS = """DELETE FROM children AS c
                    WHERE c.id = ANY(%s::UUID[]) AND c.source_version IN ('migration', 'dual_write')
                      AND NOT EXISTS (SELECT 1 FROM weeks AS w WHERE w.child_id = c.id)"""
# Legacy rows neither placed nor quarantined, split by whether a write of theirs waits in the
# sync queue (in flight: a write queued after the catch-up read the table, e.g. a rename that took
# the row out of a child-week another sync placed since) or not (unaccounted: lost). One
# statement, so the queue and the placements are read in one snapshot: the drain deletes a row's
# queue entry in the transaction that places it.
NOT_ACCOUNTED = {
    True: """SELECT h.id FROM habit_tracker AS h
             LEFT JOIN (SELECT DISTINCT unnest(p.legacy_ids) AS legacy_id FROM migration.placed_weeks AS p) AS p
                 ON p.legacy_id = h.id
             WHERE p.legacy_id IS NULL
               AND NOT EXISTS (SELECT 1 FROM migration.backfill_quarantine AS q WHERE q.legacy_id = h.id)""",
    False: """SELECT h.id FROM habit_tracker AS h
              WHERE NOT EXISTS (SELECT 1 FROM weeks AS w WHERE w.id = migration.week_id(h.id))
                AND NOT EXISTS (SELECT 1 FROM migration.backfill_quarantine AS q WHERE q.legacy_id = h.id)""",
}
# Before 0013 there is no queue: nothing is in flight.
QUEUED = {
    True: "EXISTS (SELECT 1 FROM migration.sync_queue AS s WHERE s.legacy_id = n.id)",
    False: "FALSE",
}
UNACCOUNTED = """SELECT count(*) FILTER (WHERE NOT n.queued), (array_agg(n.id ORDER BY n.id) FILTER (WHERE NOT n.queued))[1:5],
                        count(*) FILTER (WHERE n.queued)
                 FROM (SELECT n.id, {queued} AS queued FROM ({not_accounted}) AS n) AS n"""
HAS_QUEUE = "SELECT to_regclass('migration.sync_queue') IS NOT NULL"
PLACES_BY_DATE = "SELECT to_regclass('migration.placed_weeks') IS NOT NULL"
QUARANTINE_BY_REASON = """SELECT q.reason, count(*) FROM migration.backfill_quarantine AS q
                          WHERE EXISTS (SELECT 1 FROM habit_tracker AS h WHERE h.id = q.legacy_id)
                          GROUP BY q.reason ORDER BY count(*) DESC, q.reason"""


def _require_mapping(conn) -> None:
    require_revision_object(conn, "migration.sync_legacy_ids(bigint[], text)",
                            "the database has no migration.sync_legacy_ids(): upgrade to 0010_legacy_mapping or later first")


def _set_repair_policy(conn, value: str | None) -> str:
    with conn.cursor() as cur:
        if value is not None:
            cur.execute("UPDATE migration.settings SET value = %s WHERE name = 'repair_sunday_starts'",
                        ("true" if value == "on" else "false",))
        cur.execute("SELECT value FROM migration.settings WHERE name = 'repair_sunday_starts'")
        return "on" if cur.fetchone()[0] == "true" else "off"


def sync_batch(conn, ids: list[int]) -> tuple[int, ...]:
    """One short transaction: the new tables made equal to the mapping for these legacy ids."""
    with conn, conn.cursor() as cur:
        cur.execute(f"SET LOCAL lock_timeout = '{BATCH_LOCK_TIMEOUT}'")
        cur.execute(f"SET LOCAL statement_timeout = '{BATCH_STATEMENT_TIMEOUT}'")
        cur.execute(SYNC, (ids, SOURCE))
        return cur.fetchone()


def places_by_date(conn) -> bool:
    """Whether the database has 0023's mapping (days placed by date) rather than 0010's (row by row)."""
    with conn.cursor() as cur:
        cur.execute(PLACES_BY_DATE)
        return cur.fetchone()[0]


def run(conn, batch: int, *, log=print) -> dict:
    by_date = places_by_date(conn)
    totals = dict(legacy_rows=0, quarantined=0, weeks=0, habits=0, records=0, deleted=0)
    with conn.cursor() as cur:
        cur.execute("SELECT now()")
        started_at = cur.fetchone()[0]
    conn.commit()
    clock = time.monotonic()
    last_id, number = 0, 0
    while True:
        with conn, conn.cursor() as cur:
            cur.execute(NEXT_BATCH, (last_id, batch))
            ids = cur.fetchone()[0]
        if not ids:
            break
        number += 1
        legacy, quarantined, weeks, habits, records, deleted = sync_batch(conn, ids)
        for key, value in zip(totals, (legacy, quarantined, weeks, habits, records, deleted), strict=True):
            totals[key] += value
        elapsed = time.monotonic() - clock
        log(f"batch {number}: legacy ids {ids[0]}-{ids[-1]}: {legacy} rows, {quarantined} quarantined, "
            f"written {weeks} weeks / {habits} habits / {records} records, {deleted} deleted "
            f"({totals['legacy_rows'] / elapsed:,.0f} legacy rows/s)")
        last_id = ids[-1]

    # Catch-up: what the application changed behind the keyset loop.
    with conn, conn.cursor() as cur:
        cur.execute(CHANGED_SINCE, (started_at, CATCH_UP_SLACK))
        changed = cur.fetchone()[0]
        if by_date:
            cur.execute(DELETED_SINCE)
            changed += cur.fetchone()[0]
    for start in range(0, len(changed), batch):
        sync_batch(conn, changed[start:start + batch])
    with conn, conn.cursor() as cur:
        cur.execute(GONE[by_date])
        children = [row[0] for row in cur.fetchall()]
        gone = len(children)
        cur.execute(DROP_CHILDLESS, (children,))
    log(f"catch-up: {len(changed)} legacy rows changed during the run re-synced, "
        f"{gone} weeks of deleted legacy rows removed")

    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM habit_tracker")
        legacy_total = cur.fetchone()[0]
        cur.execute(QUARANTINE_BY_REASON)
        by_reason = cur.fetchall()
        cur.execute(HAS_QUEUE)
        has_queue = cur.fetchone()[0]
        cur.execute(UNACCOUNTED.format(queued=QUEUED[has_queue], not_accounted=NOT_ACCOUNTED[by_date]))
        unaccounted, sample, in_flight = cur.fetchone()
    quarantined_total = sum(count for _, count in by_reason)
    return dict(totals, batches=number, seconds=time.monotonic() - clock, legacy_total=legacy_total,
                migrated=legacy_total - quarantined_total - in_flight - unaccounted, quarantined_total=quarantined_total,
                by_reason=by_reason, in_flight=in_flight, unaccounted=unaccounted, unaccounted_sample=sample or [])


def report(summary: dict) -> None:
    """Print the run's summary; CheckFailed if a legacy row is neither migrated, quarantined nor in flight."""
    print(f"summary: {summary['legacy_total']} legacy rows: {summary['migrated']} migrated, "
          f"{summary['quarantined_total']} quarantined, {summary['in_flight']} in flight, {summary['unaccounted']} unaccounted; "
          f"this run wrote {summary['weeks']} weeks, {summary['habits']} habits, {summary['records']} records "
          f"and deleted {summary['deleted']} rows in {summary['batches']} batches, {summary['seconds']:.1f}s")
    for reason, count in summary["by_reason"]:
        print(f"  quarantined {reason}: {count}")
    if summary["in_flight"]:
        print(f"  in flight: {summary['in_flight']} legacy rows written during the run wait in migration.sync_queue "
              "for the drain (pg_cron job 'drain-sync-queue' or make sync-worker; make drift reports a stuck queue)")
    if summary["unaccounted"]:
        raise CheckFailed(f"{summary['unaccounted']} legacy rows neither migrated, quarantined nor queued for the drain "
                          f"(first ids: {', '.join(map(str, summary['unaccounted_sample']))})")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="backfill", description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help=f"legacy rows per batch (default {DEFAULT_BATCH})")
    parser.add_argument("--repair-sunday-starts", choices=("on", "off"),
                        help="move weeks stored as Sunday to their Monday (stored policy; default: unchanged)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        raise UsageError("usage: python -m scripts.commands.backfill [--batch N] [--repair-sunday-starts on|off]") from exc
    if args.batch < 1:
        raise UsageError(f"--batch must be a positive number of rows, got {args.batch}")
    conn = connect(autocommit=False)
    try:
        if frozen(conn):
            # The new tables hold what the app wrote since the freeze; the legacy rows do not
            # (and after the drop, 0040, there are none).
            raise UsageError(f"refused: habit_tracker is frozen since {FREEZE_REVISION}: a backfill would overwrite "
                             "what the app wrote to the new tables since (downgrade the freeze first)")
        _require_mapping(conn)
        if places_by_date(conn):
            if args.repair_sunday_starts is not None:
                raise UsageError("--repair-sunday-starts (REPAIR_SUNDAY) is retired since 0023_place_days_by_date: "
                                 "every day is placed on its own date")
            print(f"backfill: batches of {args.batch} legacy rows; days placed by date")
        else:
            policy = _set_repair_policy(conn, args.repair_sunday_starts)
            print(f"backfill: batches of {args.batch} legacy rows; repair of Sunday starts: {policy}")
        conn.commit()
        summary = run(conn, args.batch)
    except psycopg2.Error as exc:
        raise CheckFailed(f"backfill stopped, the open batch rolled back (re-run to resume): "
                          f"{' '.join(str(exc).split())}") from None
    finally:
        conn.close()
    report(summary)
    return 0


if __name__ == "__main__":
    cli_main(main)()
