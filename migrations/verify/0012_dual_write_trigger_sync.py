"""0012_dual_write_trigger_sync: the trigger syncs (mode "sync (Phase 1)"), behind a global switch;
failures are recorded in migration.sync_failures."""
from migrations.verify import Check, Db, Outcome, exists, function_exists

CREATES = ("migration.sync_failures",)


def syncing(db: Db) -> Outcome:
    if not (function_exists(db, "migration.sync_trigger_enabled()") and exists(db, "migration.sync_failures")):
        return False, "sync switch or migration.sync_failures missing (0012)"
    switch, failures = db.one("SELECT migration.sync_trigger_enabled(), (SELECT count(*) FROM migration.sync_failures)")
    switched = "syncing ON" if switch else "syncing OFF (global switch: make sync-trigger MODE=on)"
    return True, f"{switched}; {failures} unsynced failures recorded"


def not_syncing(db: Db) -> Outcome:
    early = db.value("SELECT to_regclass('migration.sync_failures') IS NOT NULL")
    return not early, "migration.sync_failures present although 0012 is not applied" if early else ""


CHECKS = (
    Check("dual-write trigger", present=syncing, absent=not_syncing),
)
