"""0011_sync_state: migration.sync_state and write_mapping(), what each sync recorded."""
from migrations.verify import Check, Db, Outcome

CREATES = ("migration.sync_state",)


def has_sync_state(db: Db) -> bool:
    return db.value("SELECT to_regclass('migration.sync_state') IS NOT NULL "
                    "AND to_regprocedure('migration.write_mapping(bigint[],text)') IS NOT NULL")


def sync_state(db: Db) -> Outcome:
    if not has_sync_state(db):
        return False, "sync state (0011) missing"
    return True, f"sync state recorded for {db.value('SELECT count(*) FROM migration.sync_state')} legacy rows"


def no_sync_state(db: Db) -> Outcome:
    early = db.value("SELECT to_regclass('migration.sync_state') IS NOT NULL")
    return not early, "sync state present too early" if early else ""


CHECKS = (
    Check("legacy mapping", present=sync_state, absent=no_sync_state),
)
