"""0039_rename_legacy: habit_tracker is gone by that name; habit_tracker_old holds it, every object
of the table renamed, no policy, no privilege of anon, authenticated or service_role on it or its
sequence, and its recorded status (migration.retired_legacy_table) still matches it: the same
row count and content checksum (migration.table_checksum, 0037), so nothing changed it since the
rename. Absent: no habit_tracker_old, no status table. (0001's part of "tables" accepts the
table retired once this revision's status table exists: this line judges it.)

Replaced lines, the objects they judged being renamed: "legacy freeze" (0038's trigger, now
trigger_habit_tracker_old_frozen, and the endpoint's functions naming habit_tracker_old),
"truncate guard" (0020's, now trigger_habit_tracker_old_refuse_truncate), "privileges" (0038's
list without the legacy table: the app holds nothing on it)."""
from scripts.db import privileges

from migrations.verify import Check, Db, Outcome, before_statement_events, exists, trigger_enabled

CREATES = ("migration.retired_legacy_table",)
OLD = "public.habit_tracker_old"
RELATIONS = ("habit_tracker_old_pkey", "habit_tracker_old_child_week_unique", "idx_habit_tracker_old_child_name",
             "idx_habit_tracker_old_updated_at", "idx_habit_tracker_old_child_week", "idx_habit_tracker_old_user_id",
             "idx_habit_tracker_old_user_child_week", "habit_tracker_old_id_seq")
CONSTRAINTS = ("habit_tracker_old_pkey", "habit_tracker_old_child_week_unique", "fk_habit_tracker_old_user_id")
FREEZE_TRIGGER = "trigger_habit_tracker_old_frozen"
TRUNCATE_TRIGGER = "trigger_habit_tracker_old_refuse_truncate"
EVENTS = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
FROZEN_MODE = ("migration.frozen_rows", "migration.frozen_writes", "migration.live_legacy_rows")
# The endpoint's functions 0039 re-pointed: their bodies name habit_tracker_old, never the old name.
REPOINTED = ("frozen_find_week", "frozen_create_week", "frozen_update_habit_record")
API_ROLES = ("anon", "authenticated", "service_role")

# 0038's list, the legacy table taken out: the app holds nothing on habit_tracker_old.
GRANTS = {
    ("table", "public.children", "authenticated"): frozenset({"SELECT"}),
    ("table", "public.habit_templates", "authenticated"): frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
    ("table", "public.notifications", "authenticated"): frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
    ("table", "public.weeks", "authenticated"): frozenset({"SELECT"}),
    ("table", "public.habits", "authenticated"): frozenset({"SELECT"}),
    ("table", "public.habit_records", "authenticated"): frozenset({"SELECT"}),
    **{("function", f"public.{signature}", "authenticated"): frozenset({"EXECUTE"})
       for signature in ("child_weeks(child_name text)", "my_children()",
                         "week_as_legacy(child_name text, week_start date)", "week_period_label(monday date)",
                         "reads_from_new()")},
}


def naming_problems(db: Db) -> list[str]:
    problems = [f"{name} MISSING" for name in RELATIONS if not exists(db, f"public.{name}")]
    constraints = {row[0] for row in db.all("SELECT conname FROM pg_constraint WHERE conrelid = %s::REGCLASS", (OLD,))}
    problems += [f"constraint {name} MISSING" for name in CONSTRAINTS if name not in constraints]
    stale = sorted(name for name in constraints if not name.startswith(("habit_tracker_old", "fk_habit_tracker_old")))
    if stale:  # PostgreSQL 18's named NOT NULL constraints too
        problems.append(f"constraints not renamed: {', '.join(stale)}")
    leftovers = db.value("""SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class AS c
                            WHERE c.relnamespace = 'public'::REGNAMESPACE AND c.relname ~ 'habit_tracker'
                                AND c.relname !~ 'habit_tracker_old'""")
    if leftovers:
        problems.append(f"not renamed: {leftovers}")
    triggers = db.value("""SELECT string_agg(tgname, ', ' ORDER BY tgname) FROM pg_trigger
                           WHERE tgrelid = %s::REGCLASS AND NOT tgisinternal AND tgname !~ 'habit_tracker_old'""", (OLD,))
    if triggers:
        problems.append(f"triggers not renamed: {triggers}")
    return problems


def retired(db: Db) -> Outcome:
    if exists(db, "public.habit_tracker"):
        return False, "habit_tracker still present by its old name"
    if not exists(db, OLD) or not exists(db, CREATES[0]):
        return False, f"{OLD} or {CREATES[0]} MISSING"
    problems = naming_problems(db)
    policies = db.value("SELECT count(*) FROM pg_policy WHERE polrelid = %s::REGCLASS", (OLD,))
    if policies:
        problems.append(f"{policies} policies left on it")
    granted = db.value("""SELECT string_agg(r.role || ' ' || p.privilege, ', ')
                          FROM unnest(%s::TEXT[]) AS r (role),
                               unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES',
                                            'TRIGGER']) AS p (privilege)
                          WHERE has_table_privilege(r.role, %s, p.privilege)""", (list(API_ROLES), OLD))
    if granted:
        problems.append(f"API privileges left: {granted}")
    status = db.one("""SELECT legacy_rows, legacy_weeks, children, filled_days, checksum, renamed_at::TEXT
                       FROM migration.retired_legacy_table""")
    if status is None:
        return False, "; ".join([f"{CREATES[0]} has no row", *problems])
    rows, weeks, children, days, checksum, when = status
    now_rows, now_checksum = db.one(f"SELECT count(*), migration.table_checksum('{OLD}'::REGCLASS) FROM {OLD}")
    if (now_rows, now_checksum) != (rows, checksum):
        problems.append(f"changed since the rename: {now_rows} rows, checksum {now_checksum} (recorded {rows}, {checksum})")
    detail = (f"habit_tracker_old since {when}: {rows} rows, {weeks} weeks, {children} children, {days} filled days, "
              f"checksum {checksum} (unchanged); habit_tracker absent; no API privilege")
    return not problems, "; ".join([detail, *problems])


def not_retired(db: Db) -> Outcome:
    early = [name for name in (OLD, *CREATES) if exists(db, name)]
    return not early, f"present too early: {', '.join(early)}" if early else ""


def frozen_under_new_name(db: Db) -> Outcome:
    problems = []
    enabled = trigger_enabled(db, "habit_tracker_old", FREEZE_TRIGGER)
    events = before_statement_events(db, "habit_tracker_old", FREEZE_TRIGGER, EVENTS)
    if enabled is None:
        problems.append(f"{FREEZE_TRIGGER} MISSING: habit_tracker_old takes writes")
    elif enabled == "D":
        problems.append(f"{FREEZE_TRIGGER} DISABLED: habit_tracker_old takes writes")
    elif events != list(EVENTS):
        problems.append(f"{FREEZE_TRIGGER} refuses only {', '.join(events) or 'nothing'} (BEFORE, per statement)")
    problems += [f"{name} MISSING" for name in FROZEN_MODE if not exists(db, name)]
    stale = db.value(r"""SELECT string_agg(p.proname, ', ' ORDER BY p.proname) FROM pg_proc AS p
                         WHERE p.pronamespace = 'migration'::REGNAMESPACE AND p.proname = ANY(%s)
                             AND (p.prosrc ~ 'public\.habit_tracker\M' OR p.prosrc ~ 'public\.habit_tracker_id_seq')""",
                     (list(REPOINTED),))
    if stale:
        problems.append(f"endpoint functions still naming habit_tracker: {stale}")
    if problems:
        return False, "; ".join(problems)
    weeks = db.value("SELECT count(*) FROM (SELECT DISTINCT user_id, child_name, monday FROM migration.frozen_writes) AS w")
    return True, (f"habit_tracker_old frozen: {', '.join(EVENTS)} refused ({FREEZE_TRIGGER} enabled); the endpoint "
                  f"writes the new tables, naming weeks through habit_tracker_old ({weeks} child-weeks written while "
                  "frozen)")


def truncate_refused(db: Db) -> Outcome:
    enabled = trigger_enabled(db, "habit_tracker_old", TRUNCATE_TRIGGER)
    if enabled is None:
        return False, f"{TRUNCATE_TRIGGER} missing"
    if enabled == "D":
        return False, f"{TRUNCATE_TRIGGER} DISABLED"
    return True, f"TRUNCATE habit_tracker_old refused ({TRUNCATE_TRIGGER} enabled)"


def exactly_the_apps(db: Db) -> Outcome:
    return privileges.exactly(db.conn, GRANTS)


CHECKS = (
    Check("legacy retired", present=retired, absent=not_retired),
    Check("legacy freeze", present=frozen_under_new_name, replaces=True),
    Check("truncate guard", present=truncate_refused, replaces=True),
    Check("privileges", present=exactly_the_apps, replaces=True),
)
