"""0023_place_days_by_date: the mapping places every filled day on its own date, merging the
rows of a child-week (migration.placement()), with its writer, its one sync, the per-child-week
state and the conflicts table; the functions it retired are gone.
Replaces the "legacy mapping" line (0010, 0011, 0016, 0017 described the per-row mapping it
retired) and the "child locks" line (0021, 0022: the locking now lives in sync_legacy_rows(),
which sync_legacy_ids() and sync_legacy_row() call).
Absent: where the migration schema exists, no placement() and the per-row mapping in place."""
from migrations.verify import Check, Db, Outcome, owner_only_functions

CREATES = ("migration.placed_weeks", "migration.placement_conflicts")
FUNCTIONS = (
    "migration.monday_of(DATE)",
    "migration.legacy_weeks(BIGINT[])",
    "migration.week_members(migration.child_week[])",
    "migration.placement(BIGINT[])",
    "migration.place_child_weeks(migration.child_week[], TEXT)",
    "migration.sync_legacy_rows(BIGINT[], TEXT, UUID[])",
)
RETIRED = ("write_mapping", "record_sync_state", "map_week", "map_habits", "map_records", "child_week_rows",
           "child_week_ids", "repair_sunday_starts")
# The quarantine reasons of the per-row mapping: a row with them was stranded, never placed.
RETIRED_REASONS = ("not_monday", "duplicate_week", "duplicate_habit_name")
SYNC = "migration.sync_legacy_rows(bigint[], text, uuid[])"
DRAIN = "migration.drain_sync_queue(integer)"


def retired_present(db: Db) -> int:
    return db.value("""SELECT count(*) FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
                       WHERE n.nspname = 'migration' AND p.proname = ANY(%s)""", (list(RETIRED),))


def placement(db: Db) -> Outcome:
    count, callable_by_others = owner_only_functions(db, FUNCTIONS)
    tables = db.value("SELECT count(to_regclass(t)) FROM unnest(%s::TEXT[]) AS t", (list(CREATES),))
    retired = retired_present(db)
    stale = db.value("SELECT count(*) FROM migration.backfill_quarantine WHERE reason = ANY(%s)", (list(RETIRED_REASONS),))
    # Rows still under a retired reason are a step not yet taken (make backfill after the
    # upgrade), not a broken revision: said here, counted as stranded by the invariant line.
    ok = count == len(FUNCTIONS) and not callable_by_others and tables == len(CREATES) and not retired
    detail = (f"placement by date: {count}/{len(FUNCTIONS)} functions ({callable_by_others} executable by PUBLIC, "
              f"anon or authenticated), {tables}/{len(CREATES)} tables, {retired} retired functions left")
    if stale:
        detail += f"; {stale} rows still quarantined as {'/'.join(RETIRED_REASONS)}: run make backfill"
    return ok, detail


def per_row_mapping(db: Db) -> Outcome:
    if not db.value("SELECT to_regnamespace('migration') IS NOT NULL"):
        return True, ""
    # By name: before 0023 the argument type migration.child_week does not exist to look up.
    count = db.value("""SELECT count(*) FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
                        WHERE n.nspname = 'migration' AND p.proname = ANY(%s)""",
                     ([signature.split("(")[0].split(".")[1] for signature in FUNCTIONS],))
    return not count, f"{count} placement functions present although 0023 is not applied" if count else ""


def locks_first(db: Db) -> Outcome:
    """sync_legacy_rows() locks the children, then the rows; the drain leaves the locking to it."""
    sync_locks, drain_calls = db.one("""
        SELECT bool_and(p.prosrc LIKE '%%migration.lock_legacy_children(%%'
                        AND p.prosrc LIKE '%%migration.legacy_row/%%') FILTER (WHERE p.oid = to_regprocedure(%s)),
               bool_and(p.prosrc LIKE '%%migration.sync_legacy_ids(%%') FILTER (WHERE p.oid = to_regprocedure(%s))
        FROM pg_proc AS p WHERE p.oid IN (to_regprocedure(%s), to_regprocedure(%s))""", (SYNC, DRAIN, SYNC, DRAIN))
    ok = bool(sync_locks) and bool(drain_calls)
    return ok, (f"sync_legacy_rows() locks the children, then the rows: {'yes' if sync_locks else 'no'}; "
                f"the drain syncs through it: {'yes' if drain_calls else 'no'}")


# 0018's seven, with dual_write_sync() taking (row, previous child, field): a row's child-weeks
# are placed whole, so it no longer passes the other rows of its week.
DUAL_WRITE_FUNCTIONS = (
    "migration.week_label(DATE)",
    "migration.dual_write_find_week(UUID, JSONB)",
    "migration.dual_write_sync(BIGINT, UUID, TEXT)",
    "migration.dual_write_create_week(UUID, JSONB)",
    "migration.dual_write_update_habit_record(UUID, JSONB)",
    "migration.dual_write_delete_week(UUID, JSONB)",
    "migration.dual_write(UUID, TEXT, TEXT, JSONB)",
)


def dual_write_functions(db: Db) -> Outcome:
    count, callable_by_others = owner_only_functions(db, DUAL_WRITE_FUNCTIONS)
    ok = count == len(DUAL_WRITE_FUNCTIONS) and not callable_by_others
    return ok, (f"migration.dual_write() and its {count - 1} helpers (placing by date), owner-only" if ok else
                f"dual-write functions {count}/{len(DUAL_WRITE_FUNCTIONS)}, "
                f"{callable_by_others} executable by PUBLIC, anon or authenticated")


CHECKS = (
    Check("legacy mapping", present=placement, absent=per_row_mapping, replaces=True),
    Check("child locks", present=locks_first, replaces=True),
    Check("dual-write functions", present=dual_write_functions, replaces=True),
)
