"""Every window `make legacy-readers` watches is recorded, for the contract check to ask "was the legacy table used by the app in the last one?"

Revision: 0036_legacy_reader_windows
Revises: 0035_records_policy_by_owner
Created: 2026-11-30 04:00:00

What and why
    Phase 3 (issue #21 point 1) may freeze the legacy table only when no app screen still
    reads or writes it. `make legacy-readers` (0032's tooling) watches the table over a window
    and names who used it, but printed its answer and forgot it: `make contract-check`, and
    the gate every contract revision runs, could not ask afterwards. So each window is kept:

    - migration.legacy_reader_windows: one row per window watched, written by
      `make legacy-readers` when the window closes: started_at, ended_at (the two statistics
      snapshots), seconds (measured), requested_seconds, run_by (current_user, or the
      operator's BY=), seen (JSONB: the table's counters, each statement naming the table with
      its role, calls and rows, the hidden calls, as the command's JSON prints them),
      statements_source (the schema of pg_stat_statements, NULL without it), touched (anything
      read or wrote the table: the command's exit 1), app_calls (calls of statements by the
      app's roles anon, authenticated, service_role, authenticator; NULL without
      pg_stat_statements) and clean: nothing the app would lose at the freeze was seen. That
      is, with pg_stat_statements readable: no statement by an app role and no statement
      whose role cannot be read; without it: the table not touched at all (the counters
      cannot say who). The tooling's own use (postgres: the endpoint's dual-write, the drain,
      drift) does not make a window unclean: it stops with the freeze itself. CHECKs: ended
      after started, seconds >= 0, clean only when app_calls is 0 or (NULL and not touched).

    Outside public: no API role has USAGE on schema migration and no privilege on the table
    or its identity sequence (Supabase's default privileges are for schema public only); the
    "privileges" line of `make verify` reads schema migration and is unchanged.

    Data: no existing row changes; the table starts empty, and `make contract-check` FAILs
    its "no legacy reader" line until a window is recorded.

Locks taken, and for how long
    CREATE TABLE in schema migration: catalog only, a new object. No lock on habit_tracker or
    the new tables. Timeouts: lock_timeout '5s', statement_timeout '60s'. Later, each
    `make legacy-readers` INSERTs one row (no lock anyone else waits on).

How to verify
    `make verify`: "legacy reader windows: table present, owner only; N windows recorded,
    the last ...". By hand:
    SELECT ended_at, seconds, clean, app_calls FROM migration.legacy_reader_windows
    ORDER BY ended_at DESC LIMIT 1;
    `make legacy-readers SECONDS=5` adds one row; `make contract-check` names it.

How to roll back
    `make downgrade` (to the revision before) drops the table and every window recorded
    (`make legacy-readers` then says it records nothing and still prints its report). No data
    of the app's is touched. Record what you need first (COPY ... TO a file).
"""
from alembic import op

revision = "0036_legacy_reader_windows"
down_revision = "0035_records_policy_by_owner"
branch_labels = None
depends_on = None

CREATE = (
    """CREATE TABLE migration.legacy_reader_windows (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ NOT NULL,
    seconds NUMERIC(12, 3) NOT NULL,
    requested_seconds BIGINT NOT NULL,
    run_by TEXT NOT NULL DEFAULT current_user,
    seen JSONB NOT NULL,
    statements_source TEXT,
    touched BOOLEAN NOT NULL,
    app_calls BIGINT,
    clean BOOLEAN NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ck_legacy_reader_windows_order CHECK (ended_at >= started_at),
    CONSTRAINT ck_legacy_reader_windows_seconds CHECK (seconds >= 0 AND requested_seconds > 0),
    CONSTRAINT ck_legacy_reader_windows_clean CHECK (
        NOT clean OR app_calls = 0 OR (app_calls IS NULL AND NOT touched)
    )
)""",
    """COMMENT ON TABLE migration.legacy_reader_windows IS
    'Every window make legacy-readers watched habit_tracker: what it saw, whether the app used the table (clean)'""",
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for statement in CREATE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute("DROP TABLE migration.legacy_reader_windows")
