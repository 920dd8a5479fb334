"""A per-user read switch: the share of users whose reads come from the new tables, and public.reads_from_new() the app asks

Revision: 0032_read_switch
Revises: 0031_read_as_legacy
Created: 2026-11-30 02:50:00

What and why
    Phase 2 moves the app's reads to the new tables one share of users at a time (5% → 20% →
    50% → 100%), each user staying on the side they were put on as the share grows, and back
    to 0% in one step when something is wrong (issue #20 point 4). The original team switched
    everyone in one commit.

    - migration.read_switch: one row (singleton, CHECK), `percent` SMALLINT 0-100 (CHECK),
      changed_at, changed_by, note. Starts at 0: nobody reads the new tables until
      `make cutover PERCENT=n` says so. Outside public: the API roles have no USAGE on schema
      migration, PostgREST does not serve it.
    - migration.read_switch_log: every change of the share (before, after, when, by whom,
      note), written by the trigger log_read_switch (AFTER UPDATE of the row when percent
      changes, function migration.log_read_switch()), so that an UPDATE made by hand is
      recorded too.
    - migration.read_bucket(uuid) → 0-99: the first 32 bits of md5(uuid::text), mod 100.
      md5 of the canonical lowercase text of a uuid is the same on every PostgreSQL version
      (15, 17, 18) and in any client (Python: int(md5(str(u)).hexdigest()[:8], 16) % 100);
      hashtextextended() is internal and its stability is not documented. IMMUTABLE.
    - public.reads_from_new() → boolean: TRUE iff the signed-in user's bucket is below the
      share. So it is deterministic per user, and monotone: a user on the new side at p% stays
      there at every q > p; PERCENT=0 puts everyone back. FALSE without a user (auth.uid()
      NULL: no JWT, or a JWT without sub). It must read migration.read_switch, which the
      caller (`authenticated`) has no USAGE on: so it is SECURITY DEFINER, owned by the role
      running the revisions (`postgres`), and written in the safe form: `SET search_path =
      pg_catalog, pg_temp` (no schema the caller can create objects in is searched, pg_temp
      last) and every name outside pg_catalog qualified (migration.read_switch,
      migration.read_bucket, auth.uid). It reads one row and returns one boolean; it takes no
      argument a caller could steer. EXECUTE: `authenticated` only (REVOKE from PUBLIC, anon,
      service_role, which Supabase's default privileges had given it). `make verify`'s
      "privileges" list at this revision adds it (replaces=True).

    Data: no row of public changes; the share starts at 0.

Locks taken, and for how long
    CREATE TABLE, FUNCTION, TRIGGER in schema migration and CREATE FUNCTION in public: catalog
    only, new objects. No lock on habit_tracker or the new tables. Timeouts: lock_timeout
    '5s', statement_timeout '60s'. Later, `make cutover` UPDATEs the one row of
    migration.read_switch (a row lock on it, for the instant of the statement); the data
    tables are never locked by it. Callers of reads_from_new() take ACCESS SHARE on
    read_switch, which the UPDATE does not conflict with.

How to verify
    SELECT percent FROM migration.read_switch;   -- 0 right after the upgrade
    `make verify`: "read switch" ("0% of users read the new tables (0 of N users ...)",
    objects present, reads_from_new SECURITY DEFINER with its search_path pinned, executable
    by authenticated only) and "privileges" (the list with reads_from_new). As a user:
    SET ROLE authenticated; SELECT set_config('request.jwt.claims', '{"sub": "<uuid>"}', TRUE);
    SELECT public.reads_from_new();   -- FALSE at 0%

How to roll back
    The switch itself: `make cutover PERCENT=0` (every user back on the legacy reads; no
    downgrade needed). The revision: `make downgrade` (to the revision before) drops the
    function, the trigger, both tables and their history; it refuses while the share is above
    0 (make cutover PERCENT=0 first), because the app would lose its answer mid-ramp. An app
    that calls reads_from_new() after the downgrade gets an error (PGRST202) and must read the
    legacy table then.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0032_read_switch"
down_revision = "0031_read_as_legacy"
branch_labels = None
depends_on = None

CREATE_TABLES = (
    """CREATE TABLE migration.read_switch (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE,
    -- squawk-ignore prefer-bigint-over-smallint
    percent SMALLINT NOT NULL,  -- a share, 0-100 (CHECK): never outgrows SMALLINT
    changed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    changed_by TEXT NOT NULL DEFAULT current_user,
    note TEXT,
    CONSTRAINT ck_read_switch_one_row CHECK (singleton),
    CONSTRAINT ck_read_switch_percent CHECK (percent BETWEEN 0 AND 100)
)""",
    """COMMENT ON TABLE migration.read_switch IS
    'Phase 2 read switch: the share of users (0-100) whose reads come from the new tables (make cutover)'""",
    "INSERT INTO migration.read_switch (percent) VALUES (0)",
    """CREATE TABLE migration.read_switch_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- squawk-ignore prefer-bigint-over-smallint
    percent_before SMALLINT NOT NULL,
    -- squawk-ignore prefer-bigint-over-smallint
    percent_after SMALLINT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    changed_by TEXT NOT NULL,
    note TEXT
)""",
    """COMMENT ON TABLE migration.read_switch_log IS
    'Every change of the read switch''s share: before, after, when, by whom (trigger log_read_switch)'""",
)

REFUSE_WHILE_ON = """\
DO $$
DECLARE
    share SMALLINT := (SELECT percent FROM migration.read_switch);
BEGIN
    IF share > 0 THEN
        RAISE EXCEPTION 'the read switch is at % percent: run make cutover PERCENT=0 before dropping it', share;
    END IF;
END;
$$"""


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for statement in CREATE_TABLES:
        op.execute(statement)
    execute("functions/migration.read_bucket", "0032")
    execute("functions/migration.log_read_switch", "0032")
    execute("triggers/migration.read_switch.log_read_switch", "0032")
    execute("functions/public.reads_from_new", "0032")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute(REFUSE_WHILE_ON)
    op.execute("DROP FUNCTION public.reads_from_new()")
    op.execute("DROP TRIGGER log_read_switch ON migration.read_switch")
    op.execute("DROP FUNCTION migration.log_read_switch()")
    op.execute("DROP TABLE migration.read_switch_log")
    op.execute("DROP TABLE migration.read_switch")
    op.execute("DROP FUNCTION migration.read_bucket(UUID)")
