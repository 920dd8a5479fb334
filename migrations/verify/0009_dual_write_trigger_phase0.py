"""0009_dual_write_trigger_phase0: trigger_habit_tracker_dual_write on habit_tracker, enabled.

The mode is read from its function's comment (log-only here; 0012 and 0013 change it, and
extend this check with what they add)."""
from migrations.verify import Check, Db, Outcome, trigger_enabled

TRIGGER = "trigger_habit_tracker_dual_write"


def trigger(db: Db) -> Outcome:
    enabled = trigger_enabled(db, "habit_tracker", TRIGGER)
    if enabled is None:
        return False, f"{TRIGGER} missing"
    comment = db.value("""SELECT obj_description(t.tgfoid, 'pg_proc') FROM pg_trigger AS t
                          WHERE t.tgname = %s AND t.tgrelid = 'public.habit_tracker'::REGCLASS""", (TRIGGER,))
    mode = (comment or "mode unknown").removeprefix("dual-write mode: ")
    if enabled == "D":
        return False, f"{TRIGGER} present but DISABLED; function mode {mode}"
    return True, f"{TRIGGER} enabled; mode {mode}"


def no_trigger(db: Db) -> Outcome:
    if trigger_enabled(db, "habit_tracker", TRIGGER) is not None:
        return False, "dual-write trigger present too early"
    return True, "dual-write trigger absent (0009 not applied)"


CHECKS = (
    Check("dual-write trigger", present=trigger, absent=no_trigger),
)
