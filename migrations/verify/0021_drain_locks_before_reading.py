"""0021_drain_locks_before_reading: migration.legacy_children() and lock_legacy_children(), owner-only,
and the drain and sync_legacy_ids() take those locks before they read."""
from migrations.verify import Check, Db, Outcome, owner_only_functions

FUNCTIONS = ("migration.legacy_children(BIGINT[])", "migration.lock_legacy_children(BIGINT[], BOOLEAN, UUID[])")
LOCKERS = ("migration.drain_sync_queue(integer)", "migration.sync_legacy_ids(bigint[], text)")


def lockers_calling(db: Db) -> int:
    """How many of LOCKERS call lock_legacy_children() in their body."""
    return db.value("""SELECT count(*) FROM unnest(%s::TEXT[]) AS s (signature)
                       JOIN pg_proc AS p ON p.oid = to_regprocedure(s.signature)
                       WHERE p.prosrc LIKE '%%migration.lock_legacy_children(%%'""", (list(LOCKERS),))


def locks_first(db: Db) -> Outcome:
    count, callable_by_others = owner_only_functions(db, FUNCTIONS)
    lockers = lockers_calling(db)
    ok = count == len(FUNCTIONS) and not callable_by_others and lockers == len(LOCKERS)
    return ok, (f"legacy_children() and lock_legacy_children() {count}/{len(FUNCTIONS)}, "
                f"{callable_by_others} executable by PUBLIC, anon or authenticated; "
                f"{lockers}/{len(LOCKERS)} of drain_sync_queue() and sync_legacy_ids() lock the children first")


def no_locks(db: Db) -> Outcome:
    count, _ = owner_only_functions(db, FUNCTIONS)
    if count:
        return False, f"{count} child-locking functions present although 0021 is not applied"
    return True, "child locks absent (0021 not applied)"


CHECKS = (
    Check("child locks", present=locks_first, absent=no_locks),
)
