"""Idempotency keys are unique per user, not globally

Revision: 0014_idempotency_key_per_user
Revises: 0013_dual_write_sync_queue
Created: 2026-11-25 16:00:00

What and why
    The dual-write endpoint claims each request's X-Idempotency-Key in idempotency_log in the
    same transaction as the write. 0007 made `key` unique across all users (as SCHEMA_FACTS
    §3 has it): one user's key then collides with another's, and a lookup by key alone is
    how the original replayed any user's cached response to any other. A key belongs to the
    user whose verified token sent it, so the unique becomes (user_id, key):

        CREATE UNIQUE INDEX CONCURRENTLY uq_idempotency_log_user_key ON (user_id, key)
        ALTER TABLE ... ADD CONSTRAINT uq_idempotency_log_user_key UNIQUE USING INDEX ...
        ALTER TABLE ... DROP CONSTRAINT idempotency_log_key_key

    The endpoint's claim is `INSERT ... ON CONFLICT (user_id, key) DO NOTHING`, which needs
    this constraint as its arbiter.

Locks taken, and for how long
    CREATE UNIQUE INDEX CONCURRENTLY runs outside a transaction (SHARE UPDATE EXCLUSIVE:
    writes go on); lock_timeout 30s, statement_timeout 30min for that step only. If it
    fails it leaves an INVALID index: the step drops it first (IF EXISTS) when re-run.
    ADD CONSTRAINT ... USING INDEX and DROP CONSTRAINT take ACCESS EXCLUSIVE on
    idempotency_log for milliseconds (no scan: the index is built and valid), in one
    transaction with lock_timeout '5s'. The table is small (keys expire after 24 hours).

How to verify
    SELECT conname FROM pg_constraint WHERE conrelid = 'idempotency_log'::regclass AND contype = 'u';
    -- uq_idempotency_log_user_key only. `make verify` checks it.

How to roll back
    `make downgrade` builds the global unique on key again (CONCURRENTLY) and drops the
    per-user one. It refuses, changing nothing, while two users hold the same key (the
    global unique could not be built): wait for the keys to expire (24 hours) or delete them.
"""
from alembic import op

revision = "0014_idempotency_key_per_user"
down_revision = "0013_dual_write_sync_queue"
branch_labels = None
depends_on = None

REFUSE_SHARED_KEYS = """\
DO $$
DECLARE
    shared BIGINT := (SELECT count(*) FROM (SELECT key FROM idempotency_log GROUP BY key HAVING count(*) > 1) AS k);
BEGIN
    IF shared > 0 THEN
        RAISE EXCEPTION 'cannot restore the global unique on idempotency_log.key: % keys are held by more than one '
            'user; wait for them to expire or delete them', shared;
    END IF;
END;
$$"""


def _concurrently(drop_invalid: str, create: str) -> None:
    """Build an index outside the revision's transaction, writes going on. Re-runnable: an
    INVALID index left by a failed build is dropped first (IF NOT EXISTS would keep it)."""
    with op.get_context().autocommit_block():
        op.execute("SET lock_timeout = '30s'")
        op.execute("SET statement_timeout = '30min'")
        try:
            op.execute("SET client_min_messages = 'warning'")  # no NOTICE when there is nothing to drop
            op.execute(drop_invalid)
            op.execute("RESET client_min_messages")
            op.execute("-- squawk-ignore prefer-robust-stmts\n" + create)
        finally:
            op.execute("SET lock_timeout = '5s'")
            op.execute("SET statement_timeout = '60s'")


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    _concurrently("DROP INDEX CONCURRENTLY IF EXISTS uq_idempotency_log_user_key",
                  "CREATE UNIQUE INDEX CONCURRENTLY uq_idempotency_log_user_key ON idempotency_log (user_id, key)")
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute("ALTER TABLE idempotency_log ADD CONSTRAINT uq_idempotency_log_user_key "
               "UNIQUE USING INDEX uq_idempotency_log_user_key")
    op.execute("-- squawk-ignore ban-drop-constraint\n"
               "ALTER TABLE idempotency_log DROP CONSTRAINT idempotency_log_key_key")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute(REFUSE_SHARED_KEYS)
    _concurrently("DROP INDEX CONCURRENTLY IF EXISTS idempotency_log_key_key",
                  "CREATE UNIQUE INDEX CONCURRENTLY idempotency_log_key_key ON idempotency_log (key)")
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute("ALTER TABLE idempotency_log ADD CONSTRAINT idempotency_log_key_key "
               "UNIQUE USING INDEX idempotency_log_key_key")
    op.execute("-- squawk-ignore ban-drop-constraint\n"
               "ALTER TABLE idempotency_log DROP CONSTRAINT uq_idempotency_log_user_key")
