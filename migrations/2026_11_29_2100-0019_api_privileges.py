"""The API roles hold only what the app needs: nothing on the new tables while their RLS is off

Revision: 0019_api_privileges
Revises: 0018_dual_write_functions
Created: 2026-11-29 21:00:00

What and why
    On Supabase, `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ... TO anon,
    authenticated, service_role` is in force for every object `postgres` creates, and
    PostgREST serves schema public to anyone holding the anon key, which ships inside the web
    app. So every table revisions 0002-0007 created in public was readable and writable over
    HTTP by anyone: with RLS still off on the six new tables (Phases 0 and 1), `anon` read
    every family's children, weeks, habits and records, changed and deleted them, inserted a
    child for another user, truncated notifications, and rewrote alembic_version. Even where
    RLS is on it does not filter TRUNCATE, TRIGGER or REFERENCES, and `anon` held TRIGGER on
    habit_tracker while sync_old_to_new() was executable by PUBLIC: enough to attach that
    function as a trigger that silently drops the app's writes. The original team shipped
    this hole ("RLS policies were defined but NOT enabled ... ALL users could access ALL
    data"); this revision closes it before anything else moves.

    After it, PUBLIC, anon, authenticated and service_role hold exactly:
    - habit_tracker (RLS on, its one owner-only policy): authenticated SELECT, INSERT, UPDATE,
      DELETE, what the app's PostgREST calls do today; and USAGE on habit_tracker_id_seq, which
      its INSERT's id default needs (nextval). Nothing for anon.
    - nothing else. Not the six new tables (their RLS comes on table by table in Phase 2, each
      stage granting what its policies allow), not idempotency_log (only the endpoint writes
      it, as postgres), not alembic_version, and no function: the three in public run as
      triggers (a trigger function needs no EXECUTE to fire) or from pg_cron as postgres, and
      migration.* are called by postgres only (0018's seven were already revoked from PUBLIC).
    - service_role holds nothing either: nothing of this migration uses the service key (the
      endpoint and every operator command log in as postgres), so a leaked key reaches none
      of it.
    The migration and alembic schemas were never granted to the API roles (no USAGE); their
    functions' default EXECUTE for PUBLIC is revoked as well, so that no grant of USAGE, now
    or later, makes them callable.

    Supabase's default privileges stay as they are (they are the platform's, and the app
    team's dashboard relies on them); they re-grant on every new object, so every later
    revision that creates something in public revokes what its object need not give, and
    `make verify` (scripts/db/privileges.py) fails on any privilege of PUBLIC or an API role
    beyond the list above, naming it.

Locks taken, and for how long
    GRANT and REVOKE rewrite one catalog row each (relacl, proacl): no lock on the tables
    themselves (measured: only AccessShareLock on pg_locks is held by the session), so the app
    is not blocked. Requests already running keep their checked permissions; the next
    statement of the app is refused what it no longer holds. Timeouts: lock_timeout '5s',
    statement_timeout '60s'.

How to verify
    `make verify`: the privileges line lists what PUBLIC and the API roles hold in public,
    migration and alembic against the list above (PASS), or names each extra and each missing
    privilege (FAIL). By hand:
        SELECT grantee, table_name, privilege_type FROM information_schema.role_table_grants
        WHERE grantee IN ('PUBLIC', 'anon', 'authenticated', 'service_role') AND table_schema = 'public';
        -- habit_tracker: authenticated DELETE, INSERT, SELECT, UPDATE; nothing else
    tests/test_api_exposure.py attempts every command on every table as anon and as
    authenticated with a user's JWT claims.

How to roll back
    `make downgrade` (to 0018) grants back exactly what the default privileges had given: ALL
    on the nine tables and the sequence to anon, authenticated and service_role, EXECUTE on the
    three public functions to PUBLIC and the API roles, EXECUTE on the 27 migration functions
    to PUBLIC. That reopens the hole: only roll back if this revision took a privilege the app
    needs, and prefer a forward revision that grants that one privilege. No data is touched.
"""
from alembic import op

revision = "0019_api_privileges"
down_revision = "0018_dual_write_functions"
branch_labels = None
depends_on = None

API_ROLES = "anon, authenticated, service_role"
# sqlfluff reads a table's row type in a signature as a data type (CP05): told at the line's end.
ROW_TYPE_NOQA = "  -- noqa: CP05\n"

# Every table in public: the legacy table, the six new ones, the endpoint's log, Alembic's.
TABLES = (
    "public.habit_tracker",
    "public.children",
    "public.weeks",
    "public.habits",
    "public.habit_records",
    "public.habit_templates",
    "public.notifications",
    "public.idempotency_log",
    "public.alembic_version",
)
SEQUENCES = ("public.habit_tracker_id_seq",)
PUBLIC_FUNCTIONS = (
    "public.update_updated_at_column()",
    "public.cleanup_idempotency_log()",
    "public.sync_old_to_new()",
)
# The migration schema's functions that still had PostgreSQL's default EXECUTE for PUBLIC
# (0010-0016); 0018's seven were revoked when created.
MIGRATION_FUNCTIONS = (
    "migration.parse_week_period(TEXT)",
    "migration.repair_sunday_starts()",
    f"migration.week_start(public.habit_tracker){ROW_TYPE_NOQA}",
    "migration.habit_elements(JSONB)",
    f"migration.local_problem(public.habit_tracker){ROW_TYPE_NOQA}",
    f"migration.row_problem(public.habit_tracker){ROW_TYPE_NOQA}",
    "migration.week_id(BIGINT)",
    "migration.habit_id(BIGINT, INTEGER)",
    "migration.record_id(BIGINT, INTEGER, INTEGER)",
    "migration.child_id(UUID, TEXT)",
    f"migration.map_week(public.habit_tracker, DATE){ROW_TYPE_NOQA}",
    "migration.map_habits(BIGINT, JSONB)",
    "migration.map_records(BIGINT, DATE, JSONB)",
    "migration.write_mapping(BIGINT[], TEXT)",
    f"migration.row_hash(public.habit_tracker){ROW_TYPE_NOQA}",
    "migration.habit_line(UUID, TEXT, INTEGER)",
    "migration.record_line(UUID, UUID, DATE, TEXT)",
    "migration.week_fingerprint(UUID, UUID, DATE, DATE, TEXT, JSONB, TEXT, TEXT, TEXT)",
    "migration.record_sync_state(BIGINT[])",
    "migration.sync_legacy_ids(BIGINT[], TEXT)",
    "migration.sync_trigger_enabled()",
    f"migration.child_week_rows(public.habit_tracker){ROW_TYPE_NOQA}",
    "migration.sync_legacy_row(BIGINT, TEXT, UUID)",
    "migration.try_sync_legacy_row(BIGINT, TEXT, UUID, BIGINT[])",
    "migration.child_week_ids(UUID, TEXT, DATE)",
    "migration.child_week_members(BIGINT[])",
    "migration.drain_sync_queue(INTEGER)",
)

UPGRADE = (
    *(f"REVOKE ALL ON TABLE {table} FROM {API_ROLES}" for table in TABLES),
    *(f"REVOKE ALL ON SEQUENCE {sequence} FROM {API_ROLES}" for sequence in SEQUENCES),
    # What the app's PostgREST calls on the legacy table need, under its owner-only policy.
    "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.habit_tracker TO authenticated",
    "GRANT USAGE ON SEQUENCE public.habit_tracker_id_seq TO authenticated",
    *(f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC, {API_ROLES}" for function in PUBLIC_FUNCTIONS),
    *(f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC" for function in MIGRATION_FUNCTIONS),
)

# The default privileges' grants, as they were before this revision. The grantees that stay
# (postgres, authenticated) are revoked first and granted again, so that each ACL lists its
# grantees in the order it had and pg_dump prints the database as it was.
DOWNGRADE = (
    *(f"REVOKE EXECUTE ON FUNCTION {function} FROM postgres" for function in MIGRATION_FUNCTIONS),
    *(f"GRANT EXECUTE ON FUNCTION {function} TO PUBLIC, postgres" for function in MIGRATION_FUNCTIONS),
    *(f"REVOKE EXECUTE ON FUNCTION {function} FROM postgres" for function in PUBLIC_FUNCTIONS),
    *(f"GRANT EXECUTE ON FUNCTION {function} TO PUBLIC, postgres, {API_ROLES}" for function in PUBLIC_FUNCTIONS),
    "REVOKE ALL ON SEQUENCE public.habit_tracker_id_seq FROM authenticated",
    "REVOKE ALL ON TABLE public.habit_tracker FROM authenticated",
    *(f"GRANT ALL ON SEQUENCE {sequence} TO {API_ROLES}" for sequence in SEQUENCES),
    *(f"GRANT ALL ON TABLE {table} TO {API_ROLES}" for table in TABLES),
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for statement in DOWNGRADE:
        op.execute(statement)
