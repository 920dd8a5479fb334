"""0004_shadow_rls_policies: 24 policies on the new tables, RLS still disabled on all six.

What the policies say is not checked here: 0015 rewrites the parent-week ones, and its verify
module checks that form (present) or this one's (absent). Whether RLS is enabled is its own
line, "rls stage": stage 0 here and before; Phase 2's stage revisions (0027-0030) replace it
with the stage they reach."""
from migrations.verify import NEW_TABLES, Check, Db, Outcome, rls_stage_reached

SHADOW_POLICIES = 24


def count(db: Db) -> int:
    """Policies on the new tables."""
    return db.value("""
        SELECT count(p.oid)
        FROM pg_class AS c JOIN pg_policy AS p ON p.polrelid = c.oid
        WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY(%s)""", (list(NEW_TABLES),))


def policies(db: Db) -> Outcome:
    found = count(db)
    return found == SHADOW_POLICIES, (
        f"{found}/{SHADOW_POLICIES} policies" if found == SHADOW_POLICIES
        else f"policies ({found}/{SHADOW_POLICIES}) missing (expected since 0004_shadow_rls_policies)")


def no_policies(db: Db) -> Outcome:
    found = count(db)
    return found == 0, (
        f"policies ({found}/{SHADOW_POLICIES}) absent (0004_shadow_rls_policies not applied)" if found == 0
        else f"policies ({found}/{SHADOW_POLICIES}) present although 0004_shadow_rls_policies is not applied")


def rls_off(db: Db) -> Outcome:
    return rls_stage_reached(db, 0, ())


CHECKS = (
    Check("rls policies", present=policies, absent=no_policies),
    Check("rls stage", present=rls_off, absent=rls_off),
)
