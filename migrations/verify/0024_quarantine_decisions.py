"""0024_quarantine_decisions: the decisions log and the archive of discarded rows, the views of the
unresolved rows and of every filled day's account, the decision functions (owner only); and the
invariant: every filled day of every legacy row is placed, in the conflicts, in a discarded row,
or stranded in an unresolved row (shown; 0 is the goal of Phase 1). A day in none of them FAILs,
with up to 5 of its legacy ids. Days of rows whose write is still queued are in flight, not
failed: the drain places them within a minute."""
from scripts.db.day_accounts import summary
from scripts.db.legacy_table import legacy_table

from migrations.verify import Check, Db, Outcome, owner_only_functions

CREATES = ("migration.quarantine_decisions", "migration.discarded_legacy_rows")
VIEWS = ("migration.unresolved_legacy_rows", "migration.legacy_day_accounts")
FUNCTIONS = (
    "migration.filled_days({legacy})",  # the row type is the legacy table's, renamed by 0039
    "migration.assign_legacy_owner(bigint,uuid,text)",
    "migration.discard_legacy_row(bigint,text)",
    "migration.undo_quarantine_decision(bigint,text)",
    "migration.lock_unresolved_row(bigint)",
)
NAMES = ("filled_days", "assign_legacy_owner", "discard_legacy_row", "undo_quarantine_decision", "lock_unresolved_row")


def relations(db: Db, names) -> int:
    return db.value("SELECT count(to_regclass(n)) FROM unnest(%s::TEXT[]) AS n", (list(names),))


def functions_by_name(db: Db) -> int:
    """How many of the functions exist, by name (their argument types need not exist)."""
    return db.value("""SELECT count(*) FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
                       WHERE n.nspname = 'migration' AND p.proname = ANY(%s)""", (list(NAMES),))


def decisions(db: Db) -> Outcome:
    tables, views = relations(db, CREATES), relations(db, VIEWS)
    legacy = legacy_table(db.conn) or "habit_tracker"
    functions, exposed = owner_only_functions(db, [f.format(legacy=legacy) for f in FUNCTIONS])
    ok = (tables, views, functions, exposed) == (len(CREATES), len(VIEWS), len(FUNCTIONS), 0)
    detail = (f"tables {tables}/{len(CREATES)}, views {views}/{len(VIEWS)}, functions {functions}/{len(FUNCTIONS)}"
              + (f" ({exposed} executable by PUBLIC or an API role)" if exposed else " (owner only)"))
    if tables == len(CREATES):
        made, undone, archived = db.one("""SELECT count(*), count(undone_at), (SELECT count(*) FROM migration.discarded_legacy_rows)
                                           FROM migration.quarantine_decisions""")
        detail += f"; {made} decisions ({undone} undone), {archived} rows in the archive"
    return ok, detail


def no_decisions(db: Db) -> Outcome:
    early = relations(db, CREATES + VIEWS) + functions_by_name(db)
    return early == 0, f"{early} objects of 0024_quarantine_decisions present too early" if early else ""


def filled_days(db: Db) -> Outcome:
    accounts = summary(db.conn)
    return accounts.ok, accounts.line()


def not_counted(db: Db) -> Outcome:
    return True, ""


CHECKS = (
    Check("quarantine decisions", present=decisions, absent=no_decisions),
    Check("filled days", present=filled_days, absent=not_counted),
)
