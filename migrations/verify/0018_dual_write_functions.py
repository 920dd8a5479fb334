"""0018_dual_write_functions: the endpoint's writes as seven functions in schema migration,
executable by their owner only."""
from migrations.verify import Check, Db, Outcome, owner_only_functions

FUNCTIONS = (
    "migration.week_label(DATE)",
    "migration.dual_write_find_week(UUID, JSONB)",
    "migration.dual_write_sync(BIGINT, BIGINT[], UUID, TEXT)",
    "migration.dual_write_create_week(UUID, JSONB)",
    "migration.dual_write_update_habit_record(UUID, JSONB)",
    "migration.dual_write_delete_week(UUID, JSONB)",
    "migration.dual_write(UUID, TEXT, TEXT, JSONB)",
)


def functions(db: Db) -> Outcome:
    count, callable_by_others = owner_only_functions(db, FUNCTIONS)
    if count != len(FUNCTIONS) or callable_by_others:
        return False, (f"dual-write functions {count}/{len(FUNCTIONS)}, "
                       f"{callable_by_others} executable by PUBLIC, anon or authenticated")
    return True, f"migration.dual_write() and its {count - 1} helpers, owner-only"


def no_functions(db: Db) -> Outcome:
    count, _ = owner_only_functions(db, FUNCTIONS)
    if count:
        return False, f"{count} dual-write functions present too early"
    return True, "dual-write functions absent (0018 not applied)"


CHECKS = (
    Check("dual-write functions", present=functions, absent=no_functions),
)
