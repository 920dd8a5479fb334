"""0038_freeze_legacy: habit_tracker frozen (trigger_habit_tracker_frozen enabled: INSERT, UPDATE,
DELETE and TRUNCATE refused), the sync retired (its trigger and cron job gone, the queue empty),
the endpoint's writes on the new tables (migration.frozen_* owner only, the changes tracked).
Absent: none of it.

"dual-write trigger" (replaces=True): retired. "privileges" (replaces=True): 0032's list with
authenticated holding SELECT only on habit_tracker and nothing on its sequence."""
from scripts.db import privileges

from migrations.verify import (Check, Db, Outcome, before_statement_events, cron_schedules, exists, owner_only_functions,
                               trigger_enabled)

TRIGGER = "trigger_habit_tracker_frozen"
SYNC_TRIGGER = "trigger_habit_tracker_dual_write"
JOB = "drain-sync-queue"
CREATES = ("migration.frozen_rows", "migration.frozen_writes", "migration.live_legacy_rows")
EVENTS = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
FUNCTIONS = (
    "migration.refuse_frozen_legacy_write()", "migration.frozen_refuse(text, text, text)",
    "migration.frozen_week(uuid, text, date, bigint, date, jsonb)",
    "migration.frozen_habit(uuid, text, bigint, integer, boolean, date)", "migration.frozen_set_day(uuid, date, text)",
    "migration.frozen_find_week(uuid, jsonb)", "migration.frozen_create_week(uuid, jsonb)",
    "migration.frozen_update_habit_record(uuid, jsonb)", "migration.frozen_delete_week(uuid, jsonb)",
    "migration.carry_back_frozen_writes()",
)

# 0032's list, the legacy table's writes taken back: SELECT only, no sequence.
GRANTS = {
    ("table", "public.habit_tracker", "authenticated"): frozenset({"SELECT"}),
    ("table", "public.children", "authenticated"): frozenset({"SELECT"}),
    ("table", "public.habit_templates", "authenticated"): frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
    ("table", "public.notifications", "authenticated"): frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
    ("table", "public.weeks", "authenticated"): frozenset({"SELECT"}),
    ("table", "public.habits", "authenticated"): frozenset({"SELECT"}),
    ("table", "public.habit_records", "authenticated"): frozenset({"SELECT"}),
    **{("function", f"public.{signature}", "authenticated"): frozenset({"EXECUTE"})
       for signature in ("child_weeks(child_name text)", "my_children()",
                         "week_as_legacy(child_name text, week_start date)", "week_period_label(monday date)",
                         "reads_from_new()")},
}


def frozen(db: Db) -> Outcome:
    problems = []
    enabled = trigger_enabled(db, "habit_tracker", TRIGGER)
    events = before_statement_events(db, "habit_tracker", TRIGGER, EVENTS)
    if enabled is None:
        problems.append(f"{TRIGGER} MISSING: habit_tracker takes writes")
    elif enabled == "D":
        problems.append(f"{TRIGGER} DISABLED: habit_tracker takes writes")
    elif events != list(EVENTS):
        problems.append(f"{TRIGGER} refuses only {', '.join(events) or 'nothing'} (BEFORE, per statement)")
    missing = [name for name in CREATES if not exists(db, name)]
    count, exposed = owner_only_functions(db, FUNCTIONS)
    if missing or count != len(FUNCTIONS) or exposed:
        problems.append(f"frozen-mode objects: {', '.join(missing) or 'tables present'}; functions {count}/"
                        f"{len(FUNCTIONS)}, {exposed} executable by PUBLIC or an API role")
    if problems:
        return False, "; ".join(problems)
    weeks = db.value("SELECT count(*) FROM (SELECT DISTINCT user_id, child_name, monday FROM migration.frozen_writes) AS w")
    return True, (f"habit_tracker frozen: {', '.join(EVENTS)} refused ({TRIGGER} enabled); the endpoint writes the "
                  f"new tables ({weeks} child-weeks written while frozen, carried back on rollback)")


def not_frozen(db: Db) -> Outcome:
    early = [name for name in CREATES if exists(db, name)]
    if trigger_enabled(db, "habit_tracker", TRIGGER) is not None:
        early.append(TRIGGER)
    return not early, f"present too early: {', '.join(early)}" if early else "habit_tracker not frozen (0038 not applied)"


def retired(db: Db) -> Outcome:
    problems = []
    if trigger_enabled(db, "habit_tracker", SYNC_TRIGGER) is not None:
        problems.append(f"{SYNC_TRIGGER} still on habit_tracker")
    _, schedules = cron_schedules(db, JOB)
    if schedules:
        problems.append(f"cron job {JOB!r} still scheduled at '{schedules[0]}'")
    queued = db.value("SELECT count(*) FROM migration.sync_queue") if exists(db, "migration.sync_queue") else 0
    if queued:
        problems.append(f"{queued} writes left in migration.sync_queue")
    if problems:
        return False, "; ".join(problems)
    return True, f"sync retired since 0038: {SYNC_TRIGGER} dropped, cron job {JOB!r} unscheduled, queue empty"


def exactly_the_apps(db: Db) -> Outcome:
    return privileges.exactly(db.conn, GRANTS)


CHECKS = (
    Check("legacy freeze", present=frozen, absent=not_frozen),
    Check("dual-write trigger", present=retired, replaces=True),
    Check("privileges", present=exactly_the_apps, replaces=True),
)
