"""The current definitions (migrations/sql/<kind>/<object>.sql, no `@`) are what the database
holds at head: applying every one of them to a database at head changes nothing the catalogs
show, and every replaceable object of the database has its file (and every file its object).
The cron jobs only where the server has pg_cron (not the registry builds of 17 and 18)."""
from __future__ import annotations

import re

import psycopg2
import pytest

from helpers import HAS_PG_CRON, needs_pg_cron
from migrations.helpers.sql_files import SQL_DIR, parse

SCHEMAS = ("public", "migration")
# Applied in this order: the functions before what calls them.
KINDS = ("functions", "views", "triggers", "policies", "grants", "cron")

CATALOG = {
    "functions": """
        SELECT n.nspname || '.' || p.proname, p.oid::REGPROCEDURE::TEXT, pg_get_functiondef(p.oid), p.proconfig,
               p.proacl::TEXT, obj_description(p.oid, 'pg_proc')
        FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
        WHERE n.nspname = ANY(%(schemas)s)
            AND NOT EXISTS (SELECT 1 FROM pg_depend AS d WHERE d.objid = p.oid AND d.deptype = 'e')
        ORDER BY 1""",
    "policies": """
        SELECT schemaname, tablename, policyname, permissive, roles::TEXT, cmd, qual, with_check
        FROM pg_policies WHERE schemaname = ANY(%(schemas)s) ORDER BY 1, 2, 3""",
    "triggers": """
        SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled
        FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal AND n.nspname = ANY(%(schemas)s) ORDER BY 1, 2, 3""",
    "views": """
        SELECT n.nspname, c.relname, pg_get_viewdef(c.oid)
        FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE c.relkind = 'v' AND n.nspname = ANY(%(schemas)s) ORDER BY 1, 2""",
    "grants": """
        SELECT n.nspname, c.relname, c.relkind, c.relacl::TEXT, c.relrowsecurity, c.relforcerowsecurity
        FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'S') AND n.nspname = ANY(%(schemas)s) ORDER BY 1, 2""",
    "cron": """
        SELECT jobname, schedule, command, database, username, active FROM cron.job ORDER BY jobname""",
}


def current_files(kind: str) -> list:
    return sorted(p for p in (SQL_DIR / kind).glob("*.sql") if "@" not in p.name)


def snapshot(cur, kinds=KINDS) -> dict:
    state = {}
    for kind in kinds:
        query = CATALOG.get(kind)
        if query is None:
            continue
        cur.execute(query, {"schemas": list(SCHEMAS)})
        state[kind] = cur.fetchall()
    return state


@pytest.fixture
def at_head(database_url, migrate):
    migrate("upgrade", "head")
    conn = psycopg2.connect(database_url)
    yield conn
    conn.rollback()
    conn.close()


@pytest.mark.parametrize("kinds", [
    pytest.param(tuple(kind for kind in KINDS if kind != "cron"), id="objects"),
    pytest.param(KINDS, id="objects-and-cron-jobs", marks=needs_pg_cron),
])
def test_every_current_definition_equals_the_database_at_head(at_head, kinds):
    with at_head.cursor() as cur:
        before = snapshot(cur, kinds)
        applied = 0
        for kind in kinds:
            for path in current_files(kind):
                for statement in parse(path.read_text(encoding="utf-8")):
                    try:
                        cur.execute(statement)
                    except psycopg2.Error as error:
                        pytest.fail(f"{path.relative_to(SQL_DIR)} does not apply at head: {error}")
                    applied += 1
        after = snapshot(cur, kinds)
    at_head.rollback()
    assert applied > 100
    for kind in before:
        changed = sorted(set(map(repr, before[kind])) ^ set(map(repr, after[kind])))
        assert before[kind] == after[kind], f"{kind}: applying the current definitions changed {changed}"


def _objects(cur) -> dict[str, set[str]]:
    """The replaceable objects of the database at head, named as their files are."""
    state = snapshot(cur, KINDS if HAS_PG_CRON else tuple(kind for kind in KINDS if kind != "cron"))
    return {
        "functions": {row[0] for row in state["functions"]},
        "views": {f"{schema}.{name}" for schema, name, _ in state["views"]},
        "triggers": {f"{schema}.{table}.{name}" for schema, table, name, _, _ in state["triggers"]},
        "policies": {f"{schema}.{table}" for schema, table, *_ in state["policies"]},
        **({"cron": {row[0] for row in state["cron"]}} if HAS_PG_CRON else {}),
    }


def test_every_object_at_head_has_its_current_file_and_every_file_its_object(at_head):
    with at_head.cursor() as cur:
        objects = _objects(cur)
    for kind, names in objects.items():
        files = {path.name[: -len(".sql")] for path in current_files(kind)}
        assert names - files == set(), f"{kind} without a current definition in migrations/sql/{kind}/"
        assert files - names == set(), f"migrations/sql/{kind}/ defines what the database at head does not hold"


def test_every_table_and_sequence_in_public_has_its_grants_stated(at_head):
    grants = "\n".join(p.read_text(encoding="utf-8") for p in current_files("grants"))
    with at_head.cursor() as cur:
        cur.execute("""SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
                       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S') ORDER BY 1""")
        relations = [name for (name,) in cur.fetchall()]
    missing = [name for name in relations if f" public.{name} " not in grants]
    assert not missing, f"relations of public whose grants migrations/sql/grants/public.sql does not state: {missing}"


def test_row_level_security_is_stated_for_exactly_the_tables_that_have_it(at_head):
    grants = "\n".join(p.read_text(encoding="utf-8") for p in current_files("grants"))
    stated = set(re.findall(r"ALTER TABLE public\.(\w+) ENABLE ROW LEVEL SECURITY", grants))
    with at_head.cursor() as cur:
        cur.execute("""SELECT c.relname FROM pg_class AS c
                       WHERE c.relnamespace = 'public'::REGNAMESPACE AND c.relkind IN ('r', 'p') AND c.relrowsecurity""")
        enabled = {name for (name,) in cur.fetchall()}
    assert enabled == stated
    assert {"idempotency_log", "children", "weeks", "habits", "habit_records",
            "habit_templates", "notifications"} <= enabled
