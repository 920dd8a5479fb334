"""What the internet can reach through PostgREST, tried as the API roles themselves.

PostgREST runs every request as `anon` (no user token) or `authenticated` (a user's JWT, its
claims in request.jwt.claims); `postgres` is a member of both, so the tests SET ROLE to them on
the Supabase-shaped database, as the request would. Each attempt runs in a savepoint and must
be refused with 42501 (insufficient_privilege), except what the app's own calls need.
"""
from __future__ import annotations


import psycopg2
import pytest
from psycopg2 import errors

from helpers import LEGACY_WRITABLE, assert_verify_passed_here, attempt, insert, run_cli, scalar
from legacy_cases import U1, U2
from alembic.script import ScriptDirectory

from migrations import verify as verify_steps
from scripts.commands.migrate import alembic_config
from scripts.commands.verify import NEW_TABLES, revision_list
from scripts.db import privileges

WRITES = {
    "SELECT": "SELECT * FROM {table}",
    "INSERT": "INSERT INTO {table} DEFAULT VALUES",
    "UPDATE": "UPDATE {table} SET {column} = {column}",
    "DELETE": "DELETE FROM {table}",
    "TRUNCATE": "TRUNCATE {table}",
}
# PostgREST's two roles; authenticated acts with U1's claims (helpers.attempt).
CALLERS = ("anon", "authenticated")


@pytest.fixture(scope="module")
def populated_database(templates):
    """At head: U1 and U2 each with a synced legacy week, a template and a notification. One
    database for every case that uses `populated`: each only attempts statements in
    transactions that are rolled back (or refused), and `populated` checks that after each."""
    with templates.shared_database("api_exposure", LEGACY_WRITABLE) as url:
        conn = psycopg2.connect(url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("INSERT INTO auth.users (id) VALUES (%s), (%s)", (U1, U2))
            insert(conn, user=U1)
            insert(conn, child="서연", user=U2)
            with conn.cursor() as cur:
                cur.execute("""INSERT INTO habit_templates (user_id, name) VALUES (%s, 't1'), (%s, 't2')""", (U1, U2))
                cur.execute("""INSERT INTO notifications (user_id, type, title, message)
                               VALUES (%s, 'chat', 'hi', 'hello'), (%s, 'chat', 'hi', 'hello')""", (U1, U2))
            yield conn
        finally:
            conn.close()


@pytest.fixture
def populated(populated_database):
    """The module's database at head with its data (above); unchanged after the case."""
    conn = populated_database
    before = counts(conn), scalar(conn, "SELECT version_num FROM alembic_version")
    yield conn
    assert conn.autocommit and not conn.closed
    assert (counts(conn), scalar(conn, "SELECT version_num FROM alembic_version")) == before


def counts(db) -> dict[str, int]:
    return {table: scalar(db, f"SELECT count(*) FROM {table}") for table in ("habit_tracker", *NEW_TABLES)}


def test_the_login_role_is_not_a_superuser(db):
    with db.cursor() as cur:
        cur.execute("""SELECT current_user, rolsuper, rolbypassrls, rolcreatedb, rolcreaterole,
                              pg_has_role('anon', 'MEMBER'), pg_has_role('authenticated', 'MEMBER')
                       FROM pg_roles WHERE rolname = current_user""")
        user, superuser, bypassrls, createdb, createrole, anon, authenticated = cur.fetchone()
    assert (user, superuser, bypassrls, createdb, createrole, anon, authenticated) == (
        "postgres", False, True, True, True, True, True)
    with pytest.raises(errors.InsufficientPrivilege):
        with db.cursor() as cur:
            cur.execute("SELECT pg_stat_reset()")


# What Phase 2's RLS stages (0027-0030) gave the app on the new tables, all filtered by RLS
# (tests/test_rls_stages.py tries each, stage by stage): anything else must be refused.
STAGE_GRANTS = {table: {"SELECT"} for table in NEW_TABLES} | {
    table: {"SELECT", "INSERT", "UPDATE", "DELETE"} for table in ("habit_templates", "notifications")}
REFUSED = [(role, table, command) for role in CALLERS for table in NEW_TABLES for command in WRITES
           if not (role == "authenticated" and command in STAGE_GRANTS[table])]


@pytest.mark.parametrize("role, table, command", REFUSED)
def test_new_tables_refuse_every_command_the_stages_did_not_grant(populated, role, table, command):
    before = counts(populated)
    result = attempt(populated, role, WRITES[command].format(table=table, column="created_at"))
    assert isinstance(result, errors.InsufficientPrivilege), f"{role} {command} on {table}: {result!r}"
    assert counts(populated) == before


@pytest.mark.parametrize("role", CALLERS)
def test_no_api_role_can_attach_a_trigger_to_the_legacy_table(populated, role):
    result = attempt(populated, role, """CREATE TRIGGER drop_writes BEFORE INSERT OR UPDATE ON habit_tracker
                                          FOR EACH ROW EXECUTE FUNCTION sync_old_to_new()""")
    assert isinstance(result, errors.InsufficientPrivilege), repr(result)


@pytest.mark.parametrize("role", CALLERS)
@pytest.mark.parametrize("command", WRITES)
def test_alembic_bookkeeping_is_untouchable(populated, role, command):
    result = attempt(populated, role, WRITES[command].format(table="alembic_version", column="version_num"))
    assert isinstance(result, errors.InsufficientPrivilege), repr(result)
    assert scalar(populated, "SELECT version_num FROM alembic_version") is not None


def app_rpcs_at_head() -> set[tuple[str, str]]:
    """(function, role) the "privileges" list in force at head grants: the app's RPCs (0032's
    reads_from_new() for authenticated, ...), read from the last verify module declaring it."""
    revisions = revision_list(ScriptDirectory.from_config(alembic_config()))
    declaring = [r for r in revisions if any(c.name == "privileges" for c in verify_steps.load(r).CHECKS)]
    grants = verify_steps.load(declaring[-1]).GRANTS
    return {(name, grantee) for (kind, name, grantee) in grants if kind == "function"}


def test_no_function_of_ours_is_executable_by_the_api_roles(populated):
    """None but the app's RPCs, and those by the roles they are granted to only."""
    with populated.cursor() as cur:
        cur.execute("""SELECT format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
                              r.rolname
                       FROM pg_proc AS p
                       JOIN pg_namespace AS n ON n.oid = p.pronamespace
                       CROSS JOIN (VALUES ('anon'), ('authenticated'), ('service_role')) AS r (rolname)
                       WHERE n.nspname IN ('public', 'migration') AND has_function_privilege(r.rolname, p.oid, 'EXECUTE')""")
        executable = set(cur.fetchall())
        cur.execute("""SELECT count(*) FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
                       WHERE n.nspname = 'migration'""")
        migration_functions = cur.fetchone()[0]
    assert executable == app_rpcs_at_head()
    assert all(role == "authenticated" for _, role in executable)
    assert migration_functions > 30
    for role in CALLERS:
        for call in ("SELECT cleanup_idempotency_log()", "SELECT migration.drain_sync_queue(1)"):
            result = attempt(populated, role, call)
            assert isinstance(result, errors.InsufficientPrivilege), f"{role}: {call}: {result!r}"


def test_security_definer_functions_pin_search_path(populated):
    with populated.cursor() as cur:
        cur.execute("""SELECT p.oid::REGPROCEDURE::TEXT, p.proconfig FROM pg_proc AS p
                       JOIN pg_namespace AS n ON n.oid = p.pronamespace
                       WHERE n.nspname IN ('public', 'migration') AND p.prosecdef""")
        definers = cur.fetchall()
    assert definers, "sync_old_to_new() is SECURITY DEFINER"
    assert all(any(c.startswith("search_path=") for c in config or ()) for _, config in definers), definers


def test_the_app_keeps_its_own_legacy_rows_and_nothing_more(populated):
    mine = attempt(populated, "authenticated", "SELECT DISTINCT user_id::TEXT FROM habit_tracker")
    assert mine == [(U1,)]
    inserted = attempt(populated, "authenticated", """INSERT INTO habit_tracker (child_name, week_period, week_start_date, user_id)
                                                    VALUES ('새싹', 'w', '2025-09-01', %s) RETURNING id""", (U1,))
    assert isinstance(inserted, list) and len(inserted) == 1, repr(inserted)
    for_another = attempt(populated, "authenticated", """INSERT INTO habit_tracker (child_name, week_period, user_id)
                                                       VALUES ('새싹', 'w2', %s)""", (U2,))
    assert isinstance(for_another, errors.InsufficientPrivilege), repr(for_another)  # the policy's WITH CHECK
    assert attempt(populated, "authenticated", "UPDATE habit_tracker SET theme = 'x' WHERE user_id = %s", (U2,)) == 0
    for command in ("TRUNCATE habit_tracker", "SELECT * FROM habit_tracker"):
        result = attempt(populated, "anon", command)
        assert isinstance(result, errors.InsufficientPrivilege), f"anon {command}: {result!r}"
    assert isinstance(attempt(populated, "authenticated", "TRUNCATE habit_tracker"), errors.InsufficientPrivilege)


def test_truncating_the_legacy_table_is_refused_even_for_its_owner(populated):
    before = counts(populated)
    with pytest.raises(errors.ObjectNotInPrerequisiteState, match="TRUNCATE habit_tracker is refused"):
        with populated.cursor() as cur:
            cur.execute("TRUNCATE habit_tracker")
    assert counts(populated) == before
    assert before["habit_tracker"] == 2


@pytest.mark.start_at(LEGACY_WRITABLE)
def test_verify_names_an_extra_privilege_and_passes_once_it_is_revoked(db, database_url, migrate):
    migrate("upgrade", LEGACY_WRITABLE)
    assert_verify_passed_here(run_cli("scripts.commands.verify", "--target", "current", database_url=database_url), database_url,
                              target="current")
    with db.cursor() as cur:
        cur.execute("GRANT SELECT ON weeks TO anon")
        cur.execute("GRANT EXECUTE ON FUNCTION migration.child_id(UUID, TEXT) TO PUBLIC")
    failed = run_cli("scripts.commands.verify", "--target", "current", database_url=database_url)
    assert failed.returncode == 1
    line = next(line for line in failed.stdout.splitlines() if "privileges" in line)
    assert line.startswith("FAIL"), line
    assert "extra: anon SELECT ON TABLE public.weeks" in line
    assert "extra: PUBLIC EXECUTE ON FUNCTION migration.child_id(user_id uuid, name text)" in line
    with db.cursor() as cur:
        cur.execute("REVOKE SELECT ON weeks FROM anon")
        cur.execute("REVOKE EXECUTE ON FUNCTION migration.child_id(UUID, TEXT) FROM PUBLIC")
        cur.execute("REVOKE INSERT ON habit_tracker FROM authenticated")
    missing = run_cli("scripts.commands.verify", "--target", "current", database_url=database_url)
    assert "missing: authenticated INSERT ON TABLE public.habit_tracker" in missing.stdout
    with db.cursor() as cur:
        cur.execute("GRANT INSERT ON habit_tracker TO authenticated")
    passed = run_cli("scripts.commands.verify", "--target", "current", database_url=database_url)
    assert_verify_passed_here(passed, database_url, target="current")
    assert "PASS  privileges" in passed.stdout


def test_before_0019_verify_tolerates_only_the_platform_defaults(synced, database_url, migrate):
    migrate("downgrade", "0018_dual_write_functions")
    grants = privileges.held(synced)
    assert privileges.compare(grants) == ([], [])
    assert privileges.Grant("table", "public.weeks", "anon", "TRUNCATE") in grants  # the exposure 0019 closes
    with synced.cursor() as cur:
        cur.execute("GRANT USAGE ON SCHEMA migration TO anon")
    extra, _ = privileges.compare(privileges.held(synced))
    assert [str(grant) for grant in extra] == ["anon USAGE ON SCHEMA migration"]


@pytest.mark.start_at("0017_row_sync_generic_plans")
def test_a_database_stuck_at_0017_upgrades_as_postgres(database_url, migrate):
    migrate("upgrade", "0017_row_sync_generic_plans")
    migrate("upgrade", LEGACY_WRITABLE)
    assert_verify_passed_here(run_cli("scripts.commands.verify", "--target", "current", database_url=database_url), database_url,
                              target="current")
