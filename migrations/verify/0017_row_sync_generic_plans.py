"""0017_row_sync_generic_plans: migration.sync_legacy_row() runs with plan_cache_mode =
force_generic_plan (a SET clause: `CREATE OR REPLACE` of the function would drop it).

Absent: the function, where it exists, has no such setting."""
from migrations.verify import Check, Db, Outcome

SETTING = "plan_cache_mode=force_generic_plan"


def generic(db: Db) -> bool:
    config = db.value("""SELECT proconfig FROM pg_proc
                         WHERE oid = to_regprocedure('migration.sync_legacy_row(bigint, text, uuid)')""")
    return SETTING in (config or [])


def generic_plans(db: Db) -> Outcome:
    ok = generic(db)
    return ok, "row sync plans generic" if ok else "row sync not set to generic plans (0017)"


def custom_plans(db: Db) -> Outcome:
    if not db.value("SELECT to_regnamespace('migration') IS NOT NULL"):
        return True, ""
    early = generic(db)
    return not early, "row sync set to generic plans although 0017 is not applied" if early else ""


CHECKS = (
    Check("legacy mapping", present=generic_plans, absent=custom_plans),
)
