"""0001_legacy_baseline: the legacy table habit_tracker exists, until Phase 3 retires it: from
0039 (migration.retired_legacy_table exists) the line "legacy retired" says what became of it."""
from migrations.verify import Check, Db, Outcome, exists

CREATES = ("public.habit_tracker",)


def legacy_table(db: Db) -> Outcome:
    if exists(db, "public.habit_tracker"):
        return True, "habit_tracker present"
    if exists(db, "migration.retired_legacy_table"):
        return True, "habit_tracker retired (see \"legacy retired\")"
    return False, "habit_tracker missing (expected since 0001_legacy_baseline)"


def no_legacy_table(db: Db) -> Outcome:
    if exists(db, "public.habit_tracker"):
        return False, "habit_tracker present although 0001_legacy_baseline is not applied"
    return True, "habit_tracker absent (0001_legacy_baseline not applied)"


CHECKS = (
    Check("tables", present=legacy_table, absent=no_legacy_table),
)
