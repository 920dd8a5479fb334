"""0020_legacy_truncate_guard: TRUNCATE habit_tracker refused by a BEFORE TRUNCATE trigger, enabled."""
from migrations.verify import Check, Db, Outcome, trigger_enabled

TRIGGER = "trigger_habit_tracker_refuse_truncate"


def guard(db: Db) -> Outcome:
    enabled = trigger_enabled(db, "habit_tracker", TRIGGER)
    if enabled is None:
        return False, f"{TRIGGER} missing: TRUNCATE habit_tracker would lose the queue"
    if enabled == "D":
        return False, f"{TRIGGER} DISABLED: TRUNCATE habit_tracker would lose the queue"
    return True, f"TRUNCATE habit_tracker refused ({TRIGGER} enabled)"


def no_guard(db: Db) -> Outcome:
    if trigger_enabled(db, "habit_tracker", TRIGGER) is not None:
        return False, f"{TRIGGER} present too early"
    return True, "truncate guard absent (0020 not applied)"


CHECKS = (
    Check("truncate guard", present=guard, absent=no_guard),
)
