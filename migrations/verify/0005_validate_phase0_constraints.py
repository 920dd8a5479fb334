"""0005_validate_phase0_constraints: the nine constraints of the Phase 0 plan are validated.

Absent: those of them that exist are still NOT VALID, as 0002 created them."""
from migrations.verify import Check, Db, Outcome

VALIDATED = (
    "fk_children_user_id", "fk_weeks_user_id", "fk_weeks_child_id", "fk_habits_week_id",
    "fk_habit_records_habit_id", "ck_children_name_length", "ck_weeks_date_range", "ck_weeks_start_monday",
    "ck_habit_records_status",
)


def states(db: Db) -> dict[str, bool]:
    """convalidated of each of them that exists in public."""
    return dict(db.all("""SELECT conname, convalidated FROM pg_constraint
                          WHERE connamespace = 'public'::regnamespace AND conname = ANY(%s)""", (list(VALIDATED),)))


def validated(db: Db) -> Outcome:
    found = states(db)
    wrong = [name for name in VALIDATED if not found.get(name)]
    detail = f"{len(VALIDATED) - len(wrong)}/{len(VALIDATED)} validated by 0005"
    return not wrong, detail + (f"; NOT VALID or missing: {', '.join(wrong[:5])}" if wrong else "")


def not_validated(db: Db) -> Outcome:
    early = [name for name, valid in states(db).items() if valid]
    return not early, (f"validated although 0005 is not applied: {', '.join(early[:5])}" if early else "")


CHECKS = (
    Check("constraint validation", present=validated, absent=not_validated),
)
