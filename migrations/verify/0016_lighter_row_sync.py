"""0016_lighter_row_sync: the id functions are inlinable: map_records' plan computes md5() itself
instead of calling migration.record_id().

Absent: where map_records exists (0010 on), its plan still calls record_id()."""
from migrations.verify import Check, Db, Outcome, function_exists

ID_FUNCTIONS_PLAN = """EXPLAIN VERBOSE SELECT * FROM migration.map_records(1, '2025-01-06', '[{"name": "a", "times": ["red"]}]')"""
MAP_RECORDS = "migration.map_records(bigint, date, jsonb)"


def inlined(db: Db) -> bool:
    plan = " ".join(row[0] for row in db.all(ID_FUNCTIONS_PLAN))
    return "migration.record_id(" not in plan


def id_functions_inlined(db: Db) -> Outcome:
    if not function_exists(db, MAP_RECORDS):
        return False, f"{MAP_RECORDS} missing"
    ok = inlined(db)
    return ok, "id functions inlined" if ok else "id functions not inlined (0016)"


def not_inlined(db: Db) -> Outcome:
    if not db.value("SELECT to_regnamespace('migration') IS NOT NULL") or not function_exists(db, MAP_RECORDS):
        return True, ""
    early = inlined(db)
    return not early, "id functions inlined although 0016 is not applied" if early else ""


CHECKS = (
    Check("legacy mapping", present=id_functions_inlined, absent=not_inlined),
)
