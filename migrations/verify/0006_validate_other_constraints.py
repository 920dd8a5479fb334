"""0006_validate_other_constraints: the remaining fourteen constraints are validated.

Absent: those of them that exist are still NOT VALID, as 0002 created them."""
from migrations.verify import Check, Db, Outcome

VALIDATED = (
    "ck_habits_name_length", "ck_habits_display_order", "ck_habit_records_note_length",
    "fk_habit_templates_user_id", "fk_habit_templates_child_id", "ck_habit_templates_name_length",
    "ck_habit_templates_description_length", "ck_habit_templates_habits_is_array", "fk_notifications_user_id",
    "fk_notifications_from_user_id", "ck_notifications_type", "ck_notifications_title_length",
    "ck_notifications_message_length", "ck_notifications_metadata_is_object",
)


def states(db: Db) -> dict[str, bool]:
    """convalidated of each of them that exists in public."""
    return dict(db.all("""SELECT conname, convalidated FROM pg_constraint
                          WHERE connamespace = 'public'::regnamespace AND conname = ANY(%s)""", (list(VALIDATED),)))


def validated(db: Db) -> Outcome:
    found = states(db)
    wrong = [name for name in VALIDATED if not found.get(name)]
    detail = f"{len(VALIDATED) - len(wrong)}/{len(VALIDATED)} validated by 0006"
    return not wrong, detail + (f"; NOT VALID or missing: {', '.join(wrong[:5])}" if wrong else "")


def not_validated(db: Db) -> Outcome:
    early = [name for name, valid in states(db).items() if valid]
    return not early, (f"validated although 0006 is not applied: {', '.join(early[:5])}" if early else "")


CHECKS = (
    Check("constraint validation", present=validated, absent=not_validated),
)
