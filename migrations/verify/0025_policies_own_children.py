"""0025_policies_own_children: the INSERT and UPDATE policies of weeks and habit_templates check
that the child is the caller's; notifications_insert_policy admits only the caller as sender;
idempotency_log's four policies read auth.uid() once per statement.
Extends the "rls policies" line. Absent: none of these so written (0015's and 0007's forms)."""
from migrations.verify import Check, Db, Outcome


def counts(db: Db) -> tuple[int, int, int]:
    """(own-child checks of weeks/habit_templates, notification inserts requiring the sender,
    idempotency_log policies by InitPlan)."""
    return db.one("""
        SELECT count(*) FILTER (WHERE tablename IN ('weeks', 'habit_templates') AND cmd IN ('INSERT', 'UPDATE')
                                  AND with_check LIKE '%%FROM children c%%'),
               count(*) FILTER (WHERE tablename = 'notifications' AND cmd = 'INSERT'
                                  AND with_check LIKE '%%= from_user_id)' AND with_check NOT LIKE '%%IS NULL%%'),
               count(*) FILTER (WHERE tablename = 'idempotency_log'
                                  AND coalesce(qual, with_check) LIKE '%%( SELECT auth.uid() AS uid)%%')
        FROM pg_policies WHERE schemaname = 'public'""")


def fixed(db: Db) -> Outcome:
    own_child, sender, initplan = counts(db)
    ok = (own_child, sender, initplan) == (4, 1, 4)
    return ok, (f"own child checked {own_child}/4, sender required {sender}/1, "
                f"idempotency_log by InitPlan {initplan}/4")


def not_fixed(db: Db) -> Outcome:
    own_child, sender, initplan = counts(db)
    early = own_child + sender + initplan
    return not early, f"{early} policies as 0025 writes them although it is not applied" if early else ""


CHECKS = (
    Check("rls policies", present=fixed, absent=not_fixed),
)
