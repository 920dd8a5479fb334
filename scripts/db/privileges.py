"""What PUBLIC and the API roles hold in our schemas, read from the catalog, against what they may.

On Supabase, PostgREST serves schema public to anyone holding the anon key (it ships inside
the web app) as `anon`, or as `authenticated` with a user's JWT; `service_role` is the
service key. Whatever these roles, or PUBLIC, hold a privilege on is reachable from the
internet, and the platform's default privileges give them ALL on every object `postgres`
creates in public. So `make verify` reads every grant of theirs, direct or to PUBLIC, on every
table, view, sequence, column and function in public, migration and alembic, and on those
schemas themselves, and compares it with what the applied revisions mean them to hold
(`compare`):

- once the revision that hardened them is applied: exactly the grants its verify module
  lists (migrations/verify/, check "privileges"). Anything else is an extra (FAIL, named); an
  allowed privilege that is absent is missing (FAIL, named: the app's calls would break).
- before it: what the platform's default privileges give (the exposure it closes), and no
  more. Nothing is required.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

API_ROLES = ("anon", "authenticated", "service_role")
GRANTEES = ("PUBLIC", *API_ROLES)
SCHEMAS = ("public", "migration", "alembic")

# What Supabase's default privileges give each API role on a new object in public (and what
# PostgreSQL gives PUBLIC on any function): the most anything may hold before the API roles were hardened.
DEFAULT_GRANTS = {
    "table": frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}),
    "view": frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}),
    "sequence": frozenset({"USAGE", "SELECT", "UPDATE"}),
    "function": frozenset({"EXECUTE"}),
}

# Every grant to PUBLIC or an API role, one row per privilege. A NULL ACL means PostgreSQL's
# default for the kind (acldefault): for a function that is EXECUTE for PUBLIC.
GRANTS = """
WITH objects (kind, name, acl) AS (
    SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END,
           format('%%I.%%I', n.nspname, c.relname),
           coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    UNION ALL
    SELECT 'column', format('%%I.%%I.%%I', n.nspname, c.relname, a.attname), a.attacl
    FROM pg_attribute AS a
    JOIN pg_class AS c ON c.oid = a.attrelid
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY(%(schemas)s) AND a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'function', format('%%I.%%I(%%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
           coalesce(p.proacl, acldefault('f', p.proowner))
    FROM pg_proc AS p
    JOIN pg_namespace AS n ON n.oid = p.pronamespace
    WHERE n.nspname = ANY(%(schemas)s)
    UNION ALL
    SELECT 'schema', format('%%I', n.nspname), n.nspacl
    FROM pg_namespace AS n
    WHERE n.nspname = ANY(%(schemas)s) AND n.nspname <> 'public' AND n.nspacl IS NOT NULL
)
SELECT o.kind, o.name, CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::REGROLE::TEXT END AS grantee,
       g.privilege_type
FROM objects AS o
CROSS JOIN LATERAL aclexplode(o.acl) AS g
WHERE g.grantee = 0 OR g.grantee::REGROLE::TEXT = ANY(%(roles)s)
ORDER BY 1, 2, 3, 4
"""


@dataclass(frozen=True)
class Grant:
    kind: str
    name: str
    grantee: str
    privilege: str

    def __str__(self) -> str:
        return f"{self.grantee} {self.privilege} ON {self.kind.upper()} {self.name}"


def held(conn) -> list[Grant]:
    """Every privilege PUBLIC and the API roles hold in our schemas."""
    with conn.cursor() as cur:
        cur.execute(GRANTS, {"schemas": list(SCHEMAS), "roles": list(API_ROLES)})
        return [Grant(*row) for row in cur.fetchall()]


def _default_allows(grant: Grant) -> bool:
    """Whether the platform's default privileges (or PostgreSQL's for functions) give this."""
    if grant.privilege not in DEFAULT_GRANTS.get(grant.kind, ()):
        return False
    if grant.kind == "function":
        return grant.grantee == "PUBLIC" or grant.name.startswith("public.")
    return grant.grantee != "PUBLIC" and grant.name.startswith("public.")


def compare(grants: list[Grant], allowed: Mapping[tuple[str, str, str], Iterable[str]] | None = None
            ) -> tuple[list[Grant], list[Grant]]:
    """(extra, missing): what is held beyond what is allowed, and what is allowed but absent.

    `allowed` maps (kind, object, grantee) to privileges: exactly what may be held, all of it
    required. None: before the API roles were hardened, where the platform's defaults may be
    held and nothing was granted on purpose."""
    if allowed is None:
        return [g for g in grants if not _default_allows(g)], []
    wanted = {Grant(kind, name, grantee, privilege)
              for (kind, name, grantee), privileges in allowed.items() for privilege in privileges}
    present = set(grants)
    return [g for g in grants if g not in wanted], sorted(wanted - present, key=str)


def problems(extra: Iterable[Grant], missing: Iterable[Grant]) -> str:
    return "; ".join([f"extra: {grant}" for grant in extra] + [f"missing: {grant}" for grant in missing])


def exactly(conn, allowed: Mapping[tuple[str, str, str], Iterable[str]]) -> tuple[bool, str]:
    """A verify outcome: PUBLIC and the API roles hold exactly `allowed` (see compare), or what
    differs, each grant named."""
    grants = held(conn)
    extra, missing = compare(grants, allowed)
    if extra or missing:
        return False, problems(extra, missing)
    return True, (f"{len(grants)} privileges of PUBLIC/{'/'.join(API_ROLES)}, exactly the app's: "
                  + ", ".join(str(grant) for grant in grants))
