"""0040_drop_legacy: habit_tracker_old dropped, the drop recorded with the archive that holds it,
and every object that only served the migration gone; the endpoint naming weeks by child and
Monday (migration.dual_write and its endpoint_* functions, owner only).

Every line of the retired machinery is replaced (replaces=True) by the list of its objects,
each checked absent: a line FAILs naming any that is still there. Below 0040 the earlier
revisions' parts stand as they were (absent=None: nothing of 0040 to find)."""
from migrations.verify import Check, Db, Outcome, cron_schedules, exists, owner_only_functions

LEGACY = "public.habit_tracker_old"
ENDPOINT = ("migration.dual_write(uuid, text, text, jsonb)", "migration.endpoint_create_week(uuid, jsonb)",
            "migration.endpoint_update_habit_record(uuid, jsonb)", "migration.endpoint_delete_week(uuid, jsonb)",
            "migration.endpoint_refuse(text, text, text)", "migration.endpoint_habits_problem(jsonb)",
            "migration.endpoint_find_week(uuid, jsonb, boolean)")

# Per line of `make verify`: the relations (tables, views, types) and functions of schema
# migration (by name: their argument types are gone too) that 0040 dropped.
RETIRED = {
    "dual-write trigger": (("migration.sync_queue", "migration.sync_failures", "migration.sync_state",
                            "migration.settings"),
                           ("drain_sync_queue", "sync_legacy_rows", "sync_legacy_row", "try_sync_legacy_row",
                            "sync_legacy_ids", "sync_trigger_enabled")),
    "legacy mapping": (("migration.placed_weeks", "migration.placement_conflicts", "migration.expected_children",
                        "migration.expected_weeks", "migration.expected_habits", "migration.expected_records",
                        "migration.expected_conflicts", "migration.child_week", "migration.placement_line"),
                       ("placement", "place_child_weeks", "week_members", "legacy_weeks", "legacy_children",
                        "child_week_members", "conflict_line", "week_fingerprint", "habit_line", "record_line",
                        "row_hash", "row_problem", "local_problem", "week_start", "week_id", "habit_id", "record_id",
                        "child_id", "parse_week_period", "week_label", "monday_of", "habit_elements")),
    "truncate guard": ((), ("refuse_legacy_truncate",)),
    "child locks": ((), ("lock_legacy_children",)),
    "quarantine decisions": (("migration.quarantine_decisions", "migration.discarded_legacy_rows",
                              "migration.backfill_quarantine", "migration.unresolved_legacy_rows",
                              "migration.legacy_day_accounts", "migration.classified_legacy_rows"),
                             ("assign_legacy_owner", "discard_legacy_row", "undo_quarantine_decision",
                              "lock_unresolved_row", "filled_days")),
    "placed conflicts hash": ((), ()),  # placed_weeks and its hash went with "legacy mapping"
    "legacy freeze": (("migration.frozen_rows", "migration.frozen_writes", "migration.live_legacy_rows"),
                      ("refuse_frozen_legacy_write", "frozen_refuse", "frozen_week", "frozen_habit", "frozen_set_day",
                       "frozen_find_week", "frozen_create_week", "frozen_update_habit_record", "frozen_delete_week",
                       "carry_back_frozen_writes")),
}
PHASE1_ENDPOINT = ("dual_write_find_week", "dual_write_create_week", "dual_write_update_habit_record",
                   "dual_write_delete_week", "dual_write_sync")


def still_there(db: Db, relations, functions) -> list[str]:
    left = [name for name in relations if db.value("SELECT to_regclass(%s) IS NOT NULL OR to_regtype(%s) IS NOT NULL",
                                                   (name, name))]
    left += [f"migration.{name}()" for (name,) in db.all(
        """SELECT p.proname FROM pg_proc AS p
           WHERE p.pronamespace = 'migration'::REGNAMESPACE AND p.proname = ANY(%s) ORDER BY 1""", (list(functions),))]
    return left


def retired_line(line: str):
    relations, functions = RETIRED[line]

    def check(db: Db) -> Outcome:
        left = still_there(db, relations, functions)
        if line == "dual-write trigger":
            left += [f"public.{name}()" for (name,) in db.all(
                "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::REGNAMESPACE AND proname = 'sync_old_to_new'")]
            _, schedules = cron_schedules(db, "drain-sync-queue")
            left += ["cron job drain-sync-queue"] if schedules else []
        if left:
            return False, f"retired by 0040 but still there: {', '.join(left)}"
        names = [*relations, *(f"{name}()" for name in functions)]
        return True, (f"retired by 0040, absent: {', '.join(names)}" if names else "retired by 0040 with the mapping")
    return check


def endpoint(db: Db) -> Outcome:
    count, exposed = owner_only_functions(db, ENDPOINT)
    problems = []
    if (count, exposed) != (len(ENDPOINT), 0):
        problems.append(f"endpoint functions {count}/{len(ENDPOINT)}, {exposed} executable by PUBLIC or an API role")
    left = still_there(db, (), PHASE1_ENDPOINT)
    if left:
        problems.append(f"retired but still there: {', '.join(left)}")
    calls = db.value("""SELECT prosrc ~ 'migration\\.endpoint_create_week' AND prosrc !~ 'migration\\.frozen_'
                        FROM pg_proc WHERE oid = to_regprocedure('migration.dual_write(uuid, text, text, jsonb)')""")
    if count and not calls:
        problems.append("migration.dual_write() does not call the endpoint_* functions")
    if problems:
        return False, "; ".join(problems)
    return True, (f"migration.dual_write() and its {len(ENDPOINT) - 1} endpoint functions, owner only: weeks named by "
                  f"child and Monday; {len(PHASE1_ENDPOINT)} Phase 1 functions absent")


def dropped(db: Db) -> Outcome:
    problems = [f"{name} still there" for name in (LEGACY, "public.habit_tracker") if exists(db, name)]
    row = db.one("""SELECT r.dropped_at::TEXT, r.dropped_by, r.legacy_rows, r.filled_days, r.checksum,
                           a.id, a.file_name, a.file_sha256
                    FROM migration.retired_legacy_table AS r
                    LEFT JOIN migration.legacy_archives AS a ON a.id = r.archive_id""")
    if row is None or row[0] is None:
        return False, "; ".join(["migration.retired_legacy_table records no drop", *problems])
    when, by, rows, days, checksum, archive, file_name, sha256 = row
    if archive is None:
        problems.append("the drop names no recorded archive")
    detail = (f"habit_tracker_old dropped at {when} by {by}: {rows} rows, {days} filled days, checksum {checksum}, "
              f"held by archive {archive} ({file_name}, sha256 {sha256})")
    return not problems, "; ".join([detail, *problems])


def accounted(db: Db) -> Outcome:
    row = db.one("""SELECT r.filled_days, r.legacy_rows, r.archive_id FROM migration.retired_legacy_table AS r
                    WHERE r.dropped_at IS NOT NULL""")
    if row is None or row[2] is None:
        return False, "no recorded drop with its archive"
    days, rows, archive = row
    return True, (f"accounted before the drop (the contract gate); the {days} filled days of the {rows} legacy rows "
                  f"are in archive {archive}")


CHECKS = (
    Check("legacy retired", present=dropped, replaces=True),
    Check("dual-write functions", present=endpoint, replaces=True),
    Check("filled days", present=accounted, replaces=True),
    *(Check(line, present=retired_line(line), replaces=True) for line in RETIRED),
)
