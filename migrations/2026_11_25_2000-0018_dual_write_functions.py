"""The dual-write endpoint's writes as database functions: one statement, one round trip a request

Revision: 0018_dual_write_functions
Revises: 0017_row_sync_generic_plans
Created: 2026-11-25 20:00:00

What and why
    The endpoint (#7, scripts/dual_write) ran each write as ten to twelve statements from
    Python: the session settings, the idempotency claim, the week lookup, the legacy write,
    the sibling lookup, the row sync, SET CONSTRAINTS, the quarantine verdict, the response's
    row, the stored response, COMMIT. Profiled over 300 warm one-day updates, the statements'
    own execution was 3.8 ms and the client saw 5.5 ms: about 0.17 ms a round trip of
    protocol, wake-ups and Python, and most of the endpoint's CPU. `make bench-api` shares
    two cores between the load generator, uvicorn and PostgreSQL, so that overhead is
    queueing for everyone else.

    migration.dual_write() is the whole write, called as one statement in autocommit: its
    implicit transaction is the request's. It does what the Python did, in the same order
    and with the same rules:

    - the key (unique per user since 0014) is claimed with INSERT ... ON CONFLICT DO NOTHING:
      a concurrent request with the same key waits for the first to finish, then (each
      statement of a volatile function takes a new snapshot) finds its completed row and
      replays the stored response, or claims the key itself if the first rolled back. The
      same key with another operation or data is refused; a key past expires_at is taken
      over under its row lock. The claim, the write and the stored response commit together
      or not at all: nothing is left 'processing'.
    - create_week inserts the legacy row (its week_period written as the app writes it,
      migration.week_label()), update_habit_record sets one day of the first habit of that
      name (padding a short times array), delete_week deletes the row. The row the user's
      child-week lookup finds is the one the mapping lets claim it, locked.
    - then migration.sync_legacy_row() (0012, 0016) maps the row and the other rows of its
      child-week into the new tables with source_version 'dual_write', under the per-child
      lock; the deferred uniques are checked at once; a row the mapping quarantines is
      refused with its reason, and the statement's failure undoes all of it.

    Every rule stays where it was written: the mapping, the classification and the sync are
    0010-0016's functions, called, not restated. The function turns the trigger's skip switch
    on (set_config(..., TRUE) in its body, put back as the caller had it before it returns;
    an error undoes it with the transaction or the caller's savepoint), so the trigger does
    not queue the endpoint's own writes, and runs with lock_timeout 2s; the caller sets
    statement_timeout.

    Edited in place (2026-11-29), the one exception to "a released revision is never edited":
    as first written, this revision gave dual_write() the skip switch as a SET clause,
    `ALTER FUNCTION ... SET "migration.skip_sync_trigger" = 'on'`. On Supabase the migration
    role `postgres` is not a superuser, and only a superuser may attach a custom parameter to
    a function: `make upgrade` failed there with 42501 (permission denied to set parameter)
    and the database stayed at 0017. So this revision was never applied to the real
    database, and changing it changes no database that exists. Only how the switch is set
    changed; what the function does is the same (test_dual_write_functions).

    Errors use PostgREST's convention, so the function answers the same way whoever calls
    it: SQLSTATE 'PTnnn' is HTTP status nnn, MESSAGE the human message, DETAIL the error
    code, HINT the request field (404 week_not_found / habit_not_found, 409 week_exists /
    idempotency_key_busy, 422 invalid_data / idempotency_key_reused). Success returns
    {"status", "body", "replayed"}; the stored response is {"status", "body"}, the shape the
    Python endpoint stored, so keys claimed before this revision still replay.

    EXECUTE is revoked from PUBLIC on every function here: they take the user id as an
    argument and trust it, so only the endpoint's own role (the owner) may call them; anon
    and authenticated have no USAGE on schema migration either.

Locks taken, and for how long
    CREATE FUNCTION, REVOKE and ALTER FUNCTION ... SET only: catalog rows, no table lock. Timeouts: lock_timeout
    '5s', statement_timeout '60s'. At run time a call locks what the Python did: the key's
    idempotency_log row, the legacy row (FOR UPDATE), the per-child advisory lock of the
    sync, and the rows the sync writes, until its statement commits.

How to verify
    SELECT p.oid::REGPROCEDURE, p.proconfig, has_function_privilege('authenticated', p.oid, 'EXECUTE')
    FROM pg_proc AS p WHERE p.proname LIKE 'dual_write%';
    -- seven functions; dual_write() with lock_timeout and generic plans; f
    `make verify` (idempotency_log check); `make demo`; `make bench-api`.

Deploying and rolling back
    Upgrade first, then restart `make serve`: from this revision on the endpoint calls
    migration.dual_write() and, against an older database, answers 503 naming this
    revision. `make downgrade` (to 0017) drops the seven functions: stop the endpoint first
    (the plan's Scenario 1: the trigger keeps syncing the app's direct writes), and run the
    endpoint of the previous release if it must stay up. No data is created here.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0018_dual_write_functions"
down_revision = "0017_row_sync_generic_plans"
branch_labels = None
depends_on = None

# (signature, name), in creation order; dropped in the reverse order. Each function's SQL is
# migrations/sql/functions/migration.<name>@0018.sql: its CREATE and the REVOKE of EXECUTE from
# PUBLIC, and for dual_write() its own settings while it runs (restored when it returns): no lock
# waited for longer than a person would, its statements (and the sync's) planned once per
# session as 0017 does for the sync. (The trigger's skip switch is set in its body: see the
# docstring.)
#   week_label(): the legacy table's week label for a Monday, `2025년 7월 21일 ~ 2025년 7월 27일`
#     (no zero padding, end = start + 6 days), as the app writes it (SCHEMA_FACTS;
#     seed_legacy.week_label).
#   dual_write_find_week(): the legacy row of a user's child-week that the mapping lets claim it
#     (locally clean, oldest), locked for the write; 404 when there is none.
#   dual_write_sync(): the row and the other rows of its child-week synced as the trigger
#     would, the deferred uniques checked now, then the sync's verdict.
#   dual_write_update_habit_record(): one day of the first habit of that name.
#   dual_write(): the request, exactly once per (user, key).
FUNCTIONS = (
    ("migration.week_label(DATE)", "week_label"),
    ("migration.dual_write_find_week(UUID, JSONB)", "dual_write_find_week"),
    ("migration.dual_write_sync(BIGINT, BIGINT[], UUID, TEXT)", "dual_write_sync"),
    ("migration.dual_write_create_week(UUID, JSONB)", "dual_write_create_week"),
    ("migration.dual_write_update_habit_record(UUID, JSONB)", "dual_write_update_habit_record"),
    ("migration.dual_write_delete_week(UUID, JSONB)", "dual_write_delete_week"),
    ("migration.dual_write(UUID, TEXT, TEXT, JSONB)", "dual_write"),
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for _signature, name in FUNCTIONS:
        execute(f"functions/migration.{name}", "0018")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for signature, _ in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION {signature}")
