"""0008_idempotency_cleanup: cleanup_idempotency_log(), scheduled daily through pg_cron."""
from migrations.verify import Check, Db, Outcome, cron_schedules

JOB = "cleanup-idempotency-log"


def has_function(db: Db) -> bool:
    return db.value("SELECT to_regprocedure('public.cleanup_idempotency_log()') IS NOT NULL")


def cleanup(db: Db) -> Outcome:
    if not has_function(db):
        return False, "cleanup_idempotency_log() missing"
    has_cron, schedules = cron_schedules(db, JOB)
    if not has_cron:
        return False, "cleanup_idempotency_log() present but NOT scheduled: pg_cron is not installed in this database"
    if not schedules:
        return False, f"cleanup_idempotency_log() present but cron job {JOB!r} is missing"
    return True, f"cleanup_idempotency_log() present, cron job {JOB!r} at '{schedules[0]}'"


def no_cleanup(db: Db) -> Outcome:
    function = has_function(db)
    _, schedules = cron_schedules(db, JOB)
    return (not function and not schedules,
            f"cleanup function {'present' if function else 'absent'}, {len(schedules)} cron jobs (0008 not applied)")


CHECKS = (
    Check("idempotency cleanup", present=cleanup, absent=no_cleanup),
)
