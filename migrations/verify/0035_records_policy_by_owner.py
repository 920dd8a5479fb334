"""0035_records_policy_by_owner: habit_records' four policies compare user_id with the caller,
`(SELECT auth.uid()) = user_id`. Extends "rls policies"; 0015's part keeps habits' four by
membership. Absent: none of them so written. 0015's part of the line accepts either index-friendly form
for habit_records (its array of habit ids, or this)."""
from migrations.verify import Check, Db, Outcome

POLICIES = 4
BY_OWNER = "(( SELECT auth.uid() AS uid) = user_id)"


def by_owner(db: Db) -> int:
    return db.value("""SELECT count(*) FROM pg_policies
                       WHERE schemaname = 'public' AND tablename = 'habit_records'
                         AND coalesce(qual, with_check) = %s""", (BY_OWNER,))


def owner_form(db: Db) -> Outcome:
    count = by_owner(db)
    return count == POLICIES, f"habit_records' policies by owner ({count}/{POLICIES})"


def not_owner_form(db: Db) -> Outcome:
    count = by_owner(db)
    return count == 0, f"habit_records' policies by owner: {count}" if count else ""


CHECKS = (
    Check("rls policies", present=owner_form, absent=not_owner_form),
)
