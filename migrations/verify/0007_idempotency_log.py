"""0007_idempotency_log: the table, RLS on, its four owner-only policies."""
from migrations.verify import Check, Db, Outcome, exists

CREATES = ("public.idempotency_log",)


def idempotency_log(db: Db) -> Outcome:
    present, rls, policies = db.one("""
        SELECT to_regclass('public.idempotency_log') IS NOT NULL,
               coalesce((SELECT relrowsecurity FROM pg_class WHERE oid = to_regclass('public.idempotency_log')), FALSE),
               (SELECT count(*) FROM pg_policy WHERE polrelid = to_regclass('public.idempotency_log'))""")
    if present and rls and policies == 4:
        return True, f"idempotency_log present, RLS on, {policies} owner-only policies"
    if not present:
        return False, "idempotency_log missing (expected since 0007_idempotency_log)"
    return False, f"idempotency_log present, RLS {'on' if rls else 'OFF'}, {policies} policies (expected 4)"


def no_idempotency_log(db: Db) -> Outcome:
    if exists(db, "public.idempotency_log"):
        return False, "idempotency_log present although 0007_idempotency_log is not applied"
    return True, "idempotency_log absent (0007_idempotency_log not applied)"


CHECKS = (
    Check("idempotency_log", present=idempotency_log, absent=no_idempotency_log),
)
