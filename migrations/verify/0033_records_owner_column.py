"""0033_records_owner_column: habit_records.user_id (uuid) exists, the three triggers that keep
it are enabled and their functions owner-only (fill_record_owner() SECURITY DEFINER with
search_path ''), and no record names an owner other than its
week's. A record without one is accepted here (written before 0033; 0034 fills them) and
counted. Absent: no such column, triggers or functions."""
from migrations.verify import Check, Db, Outcome, owner_only_functions, trigger_enabled

TRIGGERS = (("habit_records", "fill_habit_records_user_id"), ("habits", "carry_habits_owner_to_records"),
            ("weeks", "carry_weeks_owner_to_records"))
FUNCTIONS = ("migration.fill_record_owner()", "migration.carry_habit_owner()", "migration.carry_week_owner()")

# Each record's user_id against its week's owner: one pass over the three tables.
OWNERS = """
SELECT count(*), count(*) FILTER (WHERE r.user_id IS NULL),
       count(*) FILTER (WHERE r.user_id IS DISTINCT FROM w.user_id AND r.user_id IS NOT NULL),
       (array_agg(r.id::TEXT ORDER BY r.id) FILTER (WHERE r.user_id IS DISTINCT FROM w.user_id
                                                    AND r.user_id IS NOT NULL))[1:5]
FROM public.habit_records AS r
INNER JOIN public.habits AS h ON h.id = r.habit_id
INNER JOIN public.weeks AS w ON w.id = h.week_id"""


def column_type(db: Db) -> str | None:
    return db.value("""SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                       WHERE attrelid = to_regclass('public.habit_records') AND attname = 'user_id' AND NOT attisdropped""")


def owner_kept(db: Db) -> Outcome:
    kind = column_type(db)
    if kind != "uuid":
        return False, f"habit_records.user_id {'MISSING' if kind is None else kind + ', not uuid'}"
    problems = [f"trigger {name} on {table} {'MISSING' if state is None else 'disabled'}"
                for table, name in TRIGGERS if (state := trigger_enabled(db, table, name)) != "O"]
    definer, config = db.one("SELECT prosecdef, proconfig FROM pg_proc WHERE oid = %s::REGPROCEDURE", (FUNCTIONS[0],))
    if (definer, config) != (True, ['search_path=""']):
        problems.append(f"{FUNCTIONS[0]} SECURITY DEFINER {definer}, config {config} (search_path '' expected)")
    functions, exposed = owner_only_functions(db, FUNCTIONS)
    if (functions, exposed) != (len(FUNCTIONS), 0):
        problems.append(f"owner functions {functions}/{len(FUNCTIONS)}, {exposed} executable by PUBLIC or an API role")
    records, without, wrong, sample = db.one(OWNERS)
    if wrong:
        problems.append(f"{wrong} records name another owner than their week's (first ids: {', '.join(sample)})")
    detail = (f"habit_records.user_id kept by {len(TRIGGERS)} triggers; {records - without - wrong} of {records} "
              f"records carry their week's owner, {without} none yet")
    return not problems, "; ".join([detail, *problems])


def no_owner_column(db: Db) -> Outcome:
    early = (["habit_records.user_id"] if column_type(db) is not None else []) \
        + [name for table, name in TRIGGERS if trigger_enabled(db, table, name) is not None] \
        + [name for name in FUNCTIONS if db.value("SELECT to_regprocedure(%s) IS NOT NULL", (name,))]
    return not early, f"present too early: {', '.join(early)}" if early else ""


CHECKS = (
    Check("records owner", present=owner_kept, absent=no_owner_column),
)
