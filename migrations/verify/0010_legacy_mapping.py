"""0010_legacy_mapping: schema migration, the mapping's functions and views, the quarantine."""
from migrations.verify import Check, Db, Outcome, function_exists

CREATES = ("migration.backfill_quarantine",)
FUNCTIONS = ("migration.sync_legacy_ids(bigint[],text)", "migration.row_problem(habit_tracker)")
VIEWS = ("classified_legacy_rows", "expected_weeks", "expected_children", "expected_habits", "expected_records")


def has_schema(db: Db) -> bool:
    return db.value("SELECT to_regnamespace('migration') IS NOT NULL")


def mapping(db: Db) -> Outcome:
    if not has_schema(db):
        return False, "schema migration missing"
    functions = sum(function_exists(db, signature) for signature in FUNCTIONS)
    views = db.value("SELECT count(*) FROM pg_views WHERE schemaname = 'migration' AND viewname = ANY(%s)",
                     (list(VIEWS),))
    quarantined = db.value("SELECT count(*) FROM migration.backfill_quarantine")
    return (functions == len(FUNCTIONS) and views == len(VIEWS),
            f"mapping functions {functions}/{len(FUNCTIONS)}, views {views}/{len(VIEWS)}; "
            f"{quarantined} legacy rows quarantined")


def no_mapping(db: Db) -> Outcome:
    if has_schema(db):
        return False, "schema migration present too early"
    return True, "schema migration absent (0010 not applied)"


CHECKS = (
    Check("legacy mapping", present=mapping, absent=no_mapping),
)
