"""0039_rename_legacy: habit_tracker is gone by that name; habit_tracker_old holds it, every object
of the table renamed, no policy, no privilege of anon, authenticated or service_role on it or its
sequence, and its recorded status (migration.retired_legacy_table) still matches it: the same
row count and content checksum (migration.table_checksum, 0037), so nothing changed it since the
rename. Absent: no habit_tracker_old, no status table. (0001's part of "tables" accepts the
table retired once this revision's status table exists: this line judges it.)"""
from migrations.verify import Check, Db, Outcome, exists

CREATES = ("migration.retired_legacy_table",)
OLD = "public.habit_tracker_old"
RENAMED = ("habit_tracker_old_pkey", "habit_tracker_old_child_week_unique", "fk_habit_tracker_old_user_id",
           "idx_habit_tracker_old_child_name", "idx_habit_tracker_old_updated_at", "idx_habit_tracker_old_child_week",
           "idx_habit_tracker_old_user_id", "idx_habit_tracker_old_user_child_week", "habit_tracker_old_id_seq")
API_ROLES = ("anon", "authenticated", "service_role")


def retired(db: Db) -> Outcome:
    if exists(db, "public.habit_tracker"):
        return False, "habit_tracker still present by its old name"
    if not exists(db, OLD) or not exists(db, CREATES[0]):
        return False, f"{OLD} or {CREATES[0]} MISSING"
    problems = [f"{name} MISSING" for name in RENAMED if not exists(db, f"public.{name}")]
    leftovers = db.value("""SELECT string_agg(c.relname, ', ') FROM pg_class AS c
                            WHERE c.relnamespace = 'public'::REGNAMESPACE
                              AND c.relname LIKE '%%habit\\_tracker%%' AND c.relname NOT LIKE '%%habit\\_tracker\\_old%%'""")
    if leftovers:
        problems.append(f"not renamed: {leftovers}")
    triggers = db.value("""SELECT string_agg(tgname, ', ') FROM pg_trigger WHERE tgrelid = %s::REGCLASS
                           AND NOT tgisinternal AND tgname NOT LIKE '%%habit\\_tracker\\_old%%'""", (OLD,))
    if triggers:
        problems.append(f"triggers not renamed: {triggers}")
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


CHECKS = (
    Check("legacy retired", present=retired, absent=not_retired),
)
