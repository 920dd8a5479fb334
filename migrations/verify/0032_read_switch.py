"""0032_read_switch: the read switch (one row, its share 0-100, the log of its changes and the
trigger writing it), migration.read_bucket() owner only, and public.reads_from_new() SECURITY
DEFINER with its search_path pinned, executable by `authenticated` alone. The line's figure is
the share: "read switch: 20% (7 of 31 users on the new tables)". Absent: none of them.

"privileges" (replaces=True): 0030's list plus EXECUTE on reads_from_new() for authenticated."""
from scripts.db import privileges, read_switch

from migrations.verify import Check, Db, Outcome, exists, function_exists, owner_only_functions

CREATES = ("migration.read_switch", "migration.read_switch_log")
OWNER_ONLY = ("migration.read_bucket(uuid)", "migration.log_read_switch()")
RPC = "public.reads_from_new()"
PINNED = ["search_path=pg_catalog, pg_temp"]

# Everything PUBLIC and the API roles hold at this revision: 0031's list (0019's grants on the
# legacy table, the four RLS stages' on the new tables, the four read functions), then this
# revision's RPC.
GRANTS = {
    ("table", "public.habit_tracker", "authenticated"): frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
    ("sequence", "public.habit_tracker_id_seq", "authenticated"): frozenset({"USAGE"}),
    ("table", "public.children", "authenticated"): frozenset({"SELECT"}),
    ("table", "public.habit_templates", "authenticated"): frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
    ("table", "public.notifications", "authenticated"): frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
    ("table", "public.weeks", "authenticated"): frozenset({"SELECT"}),
    ("table", "public.habits", "authenticated"): frozenset({"SELECT"}),
    ("table", "public.habit_records", "authenticated"): frozenset({"SELECT"}),
    **{("function", f"public.{signature}", "authenticated"): frozenset({"EXECUTE"})
       for signature in ("child_weeks(child_name text)", "my_children()",
                         "week_as_legacy(child_name text, week_start date)", "week_period_label(monday date)")},
    ("function", RPC, "authenticated"): frozenset({"EXECUTE"}),
}


def rpc_problems(db: Db) -> list[str]:
    if not function_exists(db, RPC):
        return [f"{RPC} MISSING"]
    definer, config, owner, switch_owner = db.one(
        """SELECT p.prosecdef, p.proconfig, pg_get_userbyid(p.proowner), pg_get_userbyid(c.relowner)
           FROM pg_proc AS p, pg_class AS c WHERE p.oid = %s::REGPROCEDURE AND c.oid = %s::REGCLASS""",
        (RPC, CREATES[0]))
    callers = db.one("""SELECT has_function_privilege('public', %(f)s, 'EXECUTE'), has_function_privilege('anon', %(f)s, 'EXECUTE'),
                               has_function_privilege('service_role', %(f)s, 'EXECUTE'),
                               has_function_privilege('authenticated', %(f)s, 'EXECUTE')""", {"f": RPC})
    problems = []
    if not definer:
        problems.append("reads_from_new() is not SECURITY DEFINER")
    if config != PINNED:
        problems.append(f"reads_from_new() search_path {config!r}, not {PINNED[0]!r}")
    if owner != switch_owner:
        problems.append(f"reads_from_new() owned by {owner}, the switch by {switch_owner}")
    if callers != (False, False, False, True):
        problems.append("reads_from_new() executable by " + (", ".join(
            role for role, held in zip(("PUBLIC", "anon", "service_role", "authenticated"), callers) if held) or "nobody")
            + " (authenticated only expected)")
    return problems


def switch_present(db: Db) -> Outcome:
    missing = [relation for relation in CREATES if not exists(db, relation)]
    if missing:
        return False, f"{', '.join(missing)} MISSING"
    problems = rpc_problems(db)
    functions, exposed = owner_only_functions(db, OWNER_ONLY)
    if (functions, exposed) != (len(OWNER_ONLY), 0):
        problems.append(f"owner-only functions {functions}/{len(OWNER_ONLY)}, {exposed} executable by PUBLIC or an API role")
    if not db.value("SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'migration.read_switch'::REGCLASS "
                    "AND tgname = 'log_read_switch' AND tgenabled = 'O')"):
        problems.append("trigger log_read_switch missing or disabled")
    now = read_switch.state(db.conn)
    if now is None:
        problems.append("migration.read_switch has no row (everyone reads the legacy table; make cutover PERCENT=0 restores it)")
        return False, "; ".join(problems)
    return not problems, "; ".join([now.summary(), *problems])


def switch_absent(db: Db) -> Outcome:
    early = [name for name in CREATES if exists(db, name)]
    early += [name for name in (RPC, *OWNER_ONLY)
              if db.value("SELECT to_regprocedure(%s) IS NOT NULL", (name,))]
    return not early, f"present too early: {', '.join(early)}" if early else ""


def exactly_the_apps(db: Db) -> Outcome:
    return privileges.exactly(db.conn, GRANTS)


CHECKS = (
    Check("read switch", present=switch_present, absent=switch_absent),
    Check("privileges", present=exactly_the_apps, replaces=True),
)
