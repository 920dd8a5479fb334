"""Idempotency log: one row per dual-write request key (T0.19)

Revision: 0007_idempotency_log
Revises: 0006_validate_other_constraints
Created: 2026-11-25 10:50:00

What and why
    The dual-write endpoint (Phase 1) claims each request's X-Idempotency-Key here, in the
    same transaction as the write, so that a retried request has one effect and gets the
    same response. Columns as in SCHEMA_FACTS §3, including the owner column `user_id`
    (→ auth.users, ON DELETE CASCADE) that a later step of the original added: a key
    belongs to the user whose token sent it, and only that user may read it.

    Indexes: expires_at (the daily cleanup deletes by it), status, created_at DESC. The
    original also had a plain index on `key`; it duplicates the index behind the UNIQUE
    constraint on `key`, costs every insert a second index write and serves no query the
    unique index does not, so it is not created.

    Row level security is enabled on this new table, with four owner-only policies
    (`auth.uid() = user_id`). The endpoint connects as a privileged role and is not
    affected; a user's own API key reaches only their own keys.

Locks taken, and for how long
    CREATE TABLE with an inline foreign key takes SHARE ROW EXCLUSIVE on auth.users (blocks
    writes to auth.users, i.e. sign-ups, not reads) until COMMIT: milliseconds.
    The indexes are built in the same transaction, non-concurrently: the table is new and
    invisible to every other session until COMMIT, so there is nothing to block.
    Timeouts: lock_timeout '5s', statement_timeout '60s'.

How to verify
    SELECT to_regclass('public.idempotency_log');           -- not NULL
    SELECT relrowsecurity FROM pg_class WHERE relname = 'idempotency_log';   -- true
    SELECT count(*) FROM pg_policy WHERE polrelid = 'idempotency_log'::regclass;  -- 4
    `make verify` checks all of it.

How to roll back
    `make downgrade` drops the table (its indexes, policies and foreign key go with it).
    Keys held at that moment are lost: run it only while the endpoint is off (the
    endpoint cannot run without this table).
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0007_idempotency_log"
down_revision = "0006_validate_other_constraints"
branch_labels = None
depends_on = None

CREATE_IDEMPOTENCY_LOG = """\
CREATE TABLE idempotency_log (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    key TEXT NOT NULL,
    operation TEXT NOT NULL,
    request_data JSONB,
    response_data JSONB,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL DEFAULT now() + INTERVAL '24 hours',
    user_id UUID,
    CONSTRAINT idempotency_log_key_key UNIQUE (key),
    CONSTRAINT fk_idempotency_log_user_id FOREIGN KEY (user_id) REFERENCES auth.users (id) ON DELETE CASCADE
)"""

INDEXES = (
    "CREATE INDEX idx_idempotency_log_expires_at ON idempotency_log (expires_at)",
    "CREATE INDEX idx_idempotency_log_status ON idempotency_log (status)",
    "CREATE INDEX idx_idempotency_log_created_at_desc ON idempotency_log (created_at DESC)",
)

def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute(CREATE_IDEMPOTENCY_LOG)
    for statement in INDEXES:
        op.execute(statement)
    op.execute("ALTER TABLE idempotency_log ENABLE ROW LEVEL SECURITY")
    execute("policies/public.idempotency_log", "0007")
    op.execute("COMMENT ON TABLE idempotency_log IS 'Idempotency keys of the dual-write endpoint, one per request'")
    op.execute("COMMENT ON COLUMN idempotency_log.key IS 'X-Idempotency-Key header of the request'")
    op.execute("COMMENT ON COLUMN idempotency_log.expires_at IS 'Expired keys are deleted by cleanup_idempotency_log()'")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute("DROP TABLE idempotency_log")
