"""0034_records_owner_filled: CHECK ck_habit_records_user_id_present is validated (so no record
lacks its owner) and ix_habit_records_user_id is valid. 0033's part of the line counts the
records and any wrong owner. Absent: neither the constraint nor the index exists."""
from migrations.verify import Check, Db, Outcome

CONSTRAINT = "ck_habit_records_user_id_present"
INDEX = "public.ix_habit_records_user_id"


def state(db: Db) -> tuple[bool | None, bool | None]:
    """(the constraint's convalidated, the index's indisvalid); None where it does not exist."""
    return db.one("""SELECT (SELECT convalidated FROM pg_constraint
                             WHERE conrelid = to_regclass('public.habit_records') AND conname = %s),
                            (SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s))""",
                  (CONSTRAINT, INDEX))


def required_and_indexed(db: Db) -> Outcome:
    validated, valid = state(db)
    problems = [f"{CONSTRAINT} {'MISSING' if validated is None else 'NOT VALID'}" for _ in [0] if not validated] \
        + [f"{INDEX} {'MISSING' if valid is None else 'INVALID'}" for _ in [0] if not valid]
    if problems:
        return False, "; ".join(problems)
    return True, f"every record has one: {CONSTRAINT} validated; {INDEX.split('.')[1]} valid"


def not_required(db: Db) -> Outcome:
    validated, valid = state(db)
    early = [name for name, found in ((CONSTRAINT, validated), (INDEX, valid)) if found is not None]
    return not early, f"present too early: {', '.join(early)}" if early else ""


CHECKS = (
    Check("records owner", present=required_and_indexed, absent=not_required),
)
