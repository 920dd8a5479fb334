"""0004_shadow_rls_policies: 24 policies on the new tables, RLS still disabled on all six.

What the policies say is not checked here: 0015 rewrites the parent-week ones, and its verify
module checks that form (present) or this one's (absent)."""
from migrations.verify import NEW_TABLES, Check, Db, Outcome

SHADOW_POLICIES = 24


def counts(db: Db) -> tuple[int, int]:
    """(policies on the new tables, new tables with RLS enabled)."""
    return db.one("""
        SELECT count(p.oid), count(DISTINCT c.oid) FILTER (WHERE c.relrowsecurity)
        FROM pg_class AS c LEFT JOIN pg_policy AS p ON p.polrelid = c.oid
        WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY(%s)""", (list(NEW_TABLES),))


def rls_off(rls_on: int) -> str:
    return f"RLS enabled on {rls_on}/6 new tables (Phase 0 expects 0)"


def policies(db: Db) -> Outcome:
    count, rls_on = counts(db)
    detail = (f"{count}/{SHADOW_POLICIES} policies" if count == SHADOW_POLICIES
              else f"policies ({count}/{SHADOW_POLICIES}) missing (expected since 0004_shadow_rls_policies)")
    return count == SHADOW_POLICIES and rls_on == 0, f"{detail}; {rls_off(rls_on)}"


def no_policies(db: Db) -> Outcome:
    count, rls_on = counts(db)
    detail = (f"policies ({count}/{SHADOW_POLICIES}) absent (0004_shadow_rls_policies not applied)" if count == 0
              else f"policies ({count}/{SHADOW_POLICIES}) present although 0004_shadow_rls_policies is not applied")
    return count == 0 and rls_on == 0, f"{detail}; {rls_off(rls_on)}"


CHECKS = (
    Check("rls policies", present=policies, absent=no_policies),
)
