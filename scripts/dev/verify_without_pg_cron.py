"""`make verify` on a throwaway server without pg_cron (PostgreSQL 17 and 18 here): which FAILs
only pg_cron's absence causes.

    python -m scripts.dev.verify_without_pg_cron [--target REV|current]   (`make demo PG=17` runs it)

Without pg_cron, 0008 and 0013 schedule no job, and verify FAILs the parts that need them, as it
must on a project whose pg_cron switch is off (the operator then runs `make sync-worker`). On
the throwaway servers of 17 and 18 that is the build, not a fault: `failing_here` tells those
FAILs from any other, part by part, so a line failing for another reason too (a disabled trigger
beside the missing drain job) still counts. The tests use it (tests/helpers.py), and so does the
demo. This prints verify's lines, then one saying what pg_cron's absence excused; exit 1 if
anything else FAILs, 2 when it cannot run. Where pg_cron is installed it excuses nothing.
"""
from __future__ import annotations

from alembic.script import ScriptDirectory

from scripts.commands.migrate import alembic_config
from scripts.commands.verify import State, checks_in_force, current_revision, run_checks, run_part, steps
from scripts.db.database_url import connect
from scripts.db.errors import CheckFailed, UsageError, cli_main

# (verify line, revision of the part) -> a phrase of that part's FAIL detail without pg_cron.
CRON_PARTS = {
    ("idempotency cleanup", "0008_idempotency_cleanup"): "pg_cron is not installed in this database",
    ("dual-write trigger", "0013_dual_write_sync_queue"): "cron job 'drain-sync-queue' missing",
}
CRON_LINES = frozenset(line for line, _ in CRON_PARTS)


def has_pg_cron(conn) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron')")
        return cur.fetchone()[0]


def failing_here(conn, results) -> set[str]:
    """The names of verify's FAIL lines (results of run_checks on `conn`), less each line whose
    only failing parts are those pg_cron's absence makes fail, each saying so."""
    failed = {r.check for r in results if r.status != "PASS"}
    if not failed & CRON_LINES or has_pg_cron(conn):
        return failed
    script = ScriptDirectory.from_config(alembic_config())
    db = steps.Db(conn)
    lines = {line.name: line for line in checks_in_force(script, State(conn, script, current_revision(conn)).applied)}
    for name in sorted(failed & CRON_LINES):
        bad = [(part.revision, detail) for part in lines[name].parts for ok, detail in [run_part(db, part)] if not ok]
        if bad and all(CRON_PARTS.get((name, revision), "\0") in detail for revision, detail in bad):
            failed.discard(name)
    return failed


def main(argv: list[str]) -> int:
    if argv and (len(argv) != 2 or argv[0] != "--target"):
        raise UsageError("usage: python -m scripts.dev.verify_without_pg_cron [--target REV|current]")
    target = argv[1] if argv else None
    conn = connect()
    try:
        results = run_checks(conn, target)
        failed = failing_here(conn, results)
    finally:
        conn.close()
    for r in results:
        print(f"{r.status}  {r.check}: {r.detail}")
    excused = sorted({r.check for r in results if r.status != "PASS"} - failed)
    passed = sum(r.status == "PASS" for r in results)
    print(f"{passed}/{len(results)} checks passed"
          + (f"; {', '.join(excused)}: FAIL only because pg_cron is absent on this server" if excused else ""))
    if failed:
        raise CheckFailed(f"{len(failed)} check(s) failed: {', '.join(sorted(failed))}")
    return 0


if __name__ == "__main__":
    cli_main(main)()
