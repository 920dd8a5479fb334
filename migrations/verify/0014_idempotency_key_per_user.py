"""0014_idempotency_key_per_user: idempotency_log's unique is (user_id, key), not key alone.

Absent: the global unique of 0007 (idempotency_log_key_key) is still the table's."""
from migrations.verify import Check, Db, Outcome


def uniques(db: Db) -> list[str]:
    return [row[0] for row in db.all("""SELECT conname FROM pg_constraint
                                         WHERE conrelid = to_regclass('public.idempotency_log') AND contype = 'u'
                                         ORDER BY conname""")]


def per_user(db: Db) -> Outcome:
    found = uniques(db)
    if found == ["uq_idempotency_log_user_key"]:
        return True, "keys unique per user (uq_idempotency_log_user_key)"
    return False, f"unique constraints {', '.join(found) or 'none'}, expected uq_idempotency_log_user_key only (0014)"


def global_key(db: Db) -> Outcome:
    found = uniques(db)
    if "uq_idempotency_log_user_key" in found:
        return False, "uq_idempotency_log_user_key present although 0014 is not applied"
    return True, ""


CHECKS = (
    Check("idempotency_log", present=per_user, absent=global_key),
)
