"""0019_api_privileges: PUBLIC and the API roles hold exactly what the app's PostgREST calls need
in public, migration and alembic (GRANTS), nothing else, and all of it.

Absent: they hold what the platform's default privileges give, and no more
(scripts/db/privileges.py reads the grants and knows those defaults). A later revision that
changes what the app needs declares "privileges" again with replaces=True and its own list."""
from scripts.db import privileges

from migrations.verify import Check, Db, Outcome

# (kind, object, grantee) -> privileges: what the app's calls on the legacy table need, under
# its owner-only RLS policy.
GRANTS = {
    ("table", "public.habit_tracker", "authenticated"): frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
    ("sequence", "public.habit_tracker_id_seq", "authenticated"): frozenset({"USAGE"}),
}


def exactly_the_apps(db: Db) -> Outcome:
    return privileges.exactly(db.conn, GRANTS)


def platform_defaults(db: Db) -> Outcome:
    grants = privileges.held(db.conn)
    extra, _ = privileges.compare(grants)
    if extra:
        return False, privileges.problems(extra, [])
    exposed = len({grant.name for grant in grants if grant.grantee != "PUBLIC"})
    return True, (f"the platform's default grants, no more: the API roles reach {exposed} objects in public "
                  "until 0019_api_privileges closes them")


CHECKS = (
    Check("privileges", present=exactly_the_apps, absent=platform_defaults),
)
