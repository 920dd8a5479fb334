"""0031_read_as_legacy: the four read functions in public (week_as_legacy, my_children,
child_weeks, week_period_label), each SECURITY INVOKER with search_path pinned, executable by
authenticated and by no other API role nor PUBLIC; the grants of PUBLIC and the API roles are
stage 4's (0030) plus EXECUTE on them for authenticated. Absent: none of the four."""
from scripts.db import privileges

from migrations.verify import Check, Db, Outcome

FUNCTIONS = ("public.week_as_legacy(text,date)", "public.my_children()", "public.child_weeks(text)",
             "public.week_period_label(date)")
NAMES = ("week_as_legacy", "my_children", "child_weeks", "week_period_label")

# (kind, object, grantee) -> privileges: the full set at this revision (replaces stage 4's
# list): 0030_rls_stage4_habit_records's GRANTS, copied, and EXECUTE on the four functions.
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
}


def read_functions(db: Db) -> Outcome:
    rows = db.all("""
        SELECT f::TEXT, p.prosecdef, p.proconfig = ARRAY['search_path=""'],
               has_function_privilege('authenticated', f, 'EXECUTE'),
               has_function_privilege('anon', f, 'EXECUTE') OR has_function_privilege('service_role', f, 'EXECUTE')
               OR has_function_privilege('public', f, 'EXECUTE')
        FROM unnest(%s::TEXT[]) AS s (signature)
        CROSS JOIN LATERAL to_regprocedure(s.signature) AS f
        JOIN pg_proc AS p ON p.oid = f""", (list(FUNCTIONS),))
    wrong = [f"{name}: " + ", ".join(problem for problem, bad in (
                ("SECURITY DEFINER", definer), ("search_path not pinned", not pinned),
                ("authenticated cannot execute", not callable_), ("executable by another API role or PUBLIC", exposed))
                if bad)
             for name, definer, pinned, callable_, exposed in rows
             if definer or not pinned or not callable_ or exposed]
    ok = len(rows) == len(FUNCTIONS) and not wrong
    return ok, (f"{len(rows)}/{len(FUNCTIONS)} read functions, SECURITY INVOKER, search_path pinned, "
                "authenticated only" + (f"; {'; '.join(wrong)}" if wrong else ""))


def no_read_functions(db: Db) -> Outcome:
    early = db.value("""SELECT count(*) FROM pg_proc
                        WHERE pronamespace = 'public'::REGNAMESPACE AND proname = ANY(%s)""", (list(NAMES),))
    return early == 0, f"{early} read functions of 0031_read_as_legacy present too early" if early else ""


def problems(extra, missing) -> str:
    return "; ".join([f"extra: {grant}" for grant in extra] + [f"missing: {grant}" for grant in missing])


def exactly_the_apps(db: Db) -> Outcome:
    grants = privileges.held(db.conn)
    extra, missing = privileges.compare(grants, GRANTS)
    if extra or missing:
        return False, problems(extra, missing)
    return True, (f"{len(grants)} privileges of PUBLIC/{'/'.join(privileges.API_ROLES)}, exactly the app's "
                  "(the RLS stages' and the read functions')")


CHECKS = (
    Check("read functions", present=read_functions, absent=no_read_functions),
    Check("privileges", present=exactly_the_apps, replaces=True),
)
