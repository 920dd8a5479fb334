"""0013_dual_write_sync_queue: legacy writes queued in migration.sync_queue, drained by the cron
job drain-sync-queue (or `make sync-worker` where pg_cron is absent: then this check FAILs)."""
from migrations.verify import Check, Db, Outcome, cron_schedules, exists

CREATES = ("migration.sync_queue",)
JOB = "drain-sync-queue"


def queue(db: Db) -> Outcome:
    if not exists(db, "migration.sync_queue"):
        return False, "migration.sync_queue missing (0013)"
    entries, oldest = db.one("SELECT count(*), coalesce(extract(EPOCH FROM now() - min(enqueued_at)), 0)::INTEGER "
                             "FROM migration.sync_queue")
    detail = f"queue {entries} writes, oldest {oldest} s"
    _, schedules = cron_schedules(db, JOB)
    if not schedules:
        return False, detail + f"; cron job {JOB!r} missing: run make sync-worker, or install pg_cron"
    return True, detail + f"; cron job {JOB!r} at '{schedules[0]}'"


def no_queue(db: Db) -> Outcome:
    early = exists(db, "migration.sync_queue")
    _, schedules = cron_schedules(db, JOB)
    if early or schedules:
        return False, f"sync queue or cron job {JOB!r} present although 0013 is not applied"
    return True, ""


CHECKS = (
    Check("dual-write trigger", present=queue, absent=no_queue),
)
