"""0002_shadow_tables: the six new tables, source_version on each, their 23 constraints NOT VALID
(0005 and 0006 validate them: their absent sides check NOT VALID), no orphan rows."""
from scripts.db.constraint_violations import constraints, violations

from migrations.verify import NEW_TABLES, Check, Db, Outcome

CREATES = tuple(f"public.{table}" for table in NEW_TABLES)
SHADOW_CONSTRAINTS = 23  # foreign keys and checks of the new tables
# Constraints later revisions add to the new tables, each checked on its own revision's line.
ADDED_LATER = ("ck_habit_records_user_id_present",)  # 0034, "records owner"


def new_tables_found(db: Db) -> int:
    return db.value("""SELECT count(*) FROM pg_class
                       WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relname = ANY(%s)""",
                    (list(NEW_TABLES),))


def new_tables(db: Db) -> Outcome:
    found = new_tables_found(db)
    if found == len(NEW_TABLES):
        return True, "6/6 new tables present"
    return False, f"new tables ({found}/6) missing (expected since 0002_shadow_tables)"


def no_new_tables(db: Db) -> Outcome:
    found = new_tables_found(db)
    if found:
        return False, f"new tables ({found}/6) present although 0002_shadow_tables is not applied"
    return True, "new tables (0/6) absent (0002_shadow_tables not applied)"


def source_version(db: Db) -> Outcome:
    have = {row[0] for row in db.all("""
        SELECT c.relname FROM pg_class AS c JOIN pg_attribute AS a ON a.attrelid = c.oid
        WHERE c.relnamespace = 'public'::regnamespace AND a.attname = 'source_version' AND NOT a.attisdropped""")}
    missing = [t for t in NEW_TABLES if t not in have]
    return not missing, (f"source_version on {6 - len(missing)}/6 new tables"
                         + (f" (missing: {', '.join(missing)})" if missing else ""))


def no_source_version(db: Db) -> Outcome:
    return True, "no new tables yet"


def shadow_constraints(db: Db) -> list:
    return [c for c in constraints(db.conn) if c.table in NEW_TABLES and c.name not in ADDED_LATER]


def constraints_present(db: Db) -> Outcome:
    found = shadow_constraints(db)
    valid = sum(c.validated for c in found)
    return (len(found) == SHADOW_CONSTRAINTS,
            f"{len(found)}/{SHADOW_CONSTRAINTS} constraints, {valid} validated, {len(found) - valid} NOT VALID")


def no_constraints(db: Db) -> Outcome:
    found = shadow_constraints(db)
    return not found, f"{len(found)} shadow constraints (none expected yet)"


def no_orphans(db: Db) -> Outcome:
    """Every foreign key in public (the legacy table's too), whatever the revision."""
    foreign_keys = constraints(db.conn, kind="f")
    bad = [(v.constraint.name, v.count) for v in (violations(db.conn, fk) for fk in foreign_keys) if v.count]
    if bad:
        return False, f"orphan rows: {', '.join(f'{name}={count}' for name, count in bad)}"
    return True, f"0 orphan rows across {len(foreign_keys)} foreign keys"


CHECKS = (
    Check("tables", present=new_tables, absent=no_new_tables),
    Check("source_version", present=source_version, absent=no_source_version),
    Check("constraint validation", present=constraints_present, absent=no_constraints),
    Check("foreign key orphans", present=no_orphans, absent=no_orphans),
)
