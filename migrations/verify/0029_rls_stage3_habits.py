"""0029_rls_stage3_habits: RLS stage 3 of 4 (migrations/verify/__init__.py, rls_stage_checks).
"rls stage": RLS enabled on exactly RLS_ON, the other new tables off. "privileges": PUBLIC and the
API roles hold exactly GRANTS, 0019's grants on the legacy table and what the stages up to this
one gave `authenticated`. Both replace the earlier revisions' parts while this one is applied;
absent, the earlier stage's (or 0004's and 0019's) exact lists already say what is not opened."""
from migrations.verify import rls_stage_checks

STAGE = 3
RLS_ON = ('children', 'habit_templates', 'notifications', 'weeks', 'habits')
# (kind, object, grantee) -> privileges, all of them required, nothing else allowed.
GRANTS = {
    ("table", "public.habit_tracker", "authenticated"): frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
    ("sequence", "public.habit_tracker_id_seq", "authenticated"): frozenset({"USAGE"}),
    ("table", "public.children", "authenticated"): frozenset({"SELECT"}),
    ("table", "public.habit_templates", "authenticated"): frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
    ("table", "public.notifications", "authenticated"): frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
    ("table", "public.weeks", "authenticated"): frozenset({"SELECT"}),
    ("table", "public.habits", "authenticated"): frozenset({"SELECT"}),
}


CHECKS = rls_stage_checks(STAGE, RLS_ON, GRANTS)
