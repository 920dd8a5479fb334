"""Freeze habit_tracker: every write refused in the database, the endpoint writing only the new tables, the sync retired

Revision: 0038_freeze_legacy
Revises: 0037_legacy_archive_log
Created: 2026-11-30 04:20:00

What and why
    Phase 3 (issue #21 point 2). The original team's "read-only" was their Edge Function no
    longer writing: nothing in the database enforced it. Here the database refuses, and the
    app keeps working on the new tables with the same HTTP contract. Gated: GATE = "contract"
    (`make contract-check` must pass, or the throwaway-only override).

    - Writes refused, for every role, the owner included: trigger_habit_tracker_frozen,
      BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE FOR EACH STATEMENT, calls
      migration.refuse_frozen_legacy_write(), which raises SQLSTATE 25006
      (read_only_sql_transaction: "a write in a read-only state", which is what this is;
      PostgREST answers it with 405, a client error, not a 500), message 'habit_tracker is
      frozen (Phase 3, revision 0038_freeze_legacy): INSERT refused'. A statement-level
      trigger fires for an UPDATE or DELETE that matches no row too. It has no escape hatch
      (no setting, no role): only `ALTER TABLE ... DISABLE TRIGGER` by the owner, which `make
      verify` reports. 0020's TRUNCATE guard stays; it has no escape hatch either, and this
      trigger fires first (triggers of one event fire in name order), naming the phase.
      session_replication_role = replica, which skips triggers, needs a superuser (the app's
      and the operator's roles are not).
    - Grants: authenticated loses INSERT, UPDATE, DELETE on habit_tracker and USAGE on its id
      sequence (0019 gave them); SELECT stays, so the app's reads and a rollback need no grant
      back. The "privileges" line of `make verify` states the whole list (replaces=True).
    - Sync retired: trigger_habit_tracker_dual_write is DROPPED, not disabled: a disabled
      trigger is one ALTER from queueing again and shows in the catalog as if it mattered;
      the downgrade creates it again from its frozen file (0009). The pg_cron job
      drain-sync-queue is unscheduled (where pg_cron is installed; without it there is no
      job, as on the registry builds of 17 and 18); the downgrade schedules it again with its
      frozen schedule (0013). `make sync-drain` and `make sync-worker` print "retired since
      0038_freeze_legacy" and exit 0 (nothing is wrong and nothing is left to do: a
      supervisor restarting the worker must not see a failure). The queue must be empty at
      the freeze (the gate checks it; checked again under the lock, refused otherwise).
    - The endpoint: migration.dual_write() (same signature, same idempotency log, same PT
      errors) now calls migration.frozen_create_week / frozen_update_habit_record /
      frozen_delete_week, which write the new tables only:
        * a week is named as before, by child and its own first day, among the live rows
          (view migration.live_legacy_rows: habit_tracker's rows but those deleted while frozen,
          plus the weeks created while frozen); 404 week_not_found / habit_not_found and the
          global 409 week_exists (child name and week label) as before; 422 invalid_data
          from the mapping's own rule (migration.row_problem() on the row it would have been);
        * create_week reserves its legacy id from habit_tracker's sequence (the response's
          legacy_id, as before) and places the days as the mapping does (each day in the
          Monday week of its date; home week all habits, the other week the habits filled
          there; habits by name);
        * ids: an existing child, week, habit and record keeps its id; a new one gets the id
          the mapping would give it; habits merge by name, so an update never re-creates a
          habit (links to habit ids survive);
        * provenance: new rows are 'new_schema' (the column default: written by the app,
          not by the mapping); an existing row's source_version is never written;
        * delete_week: the week goes when no live row of the child has a day in it; else the
          deleted row's days go where no other live row holding that habit covers the date (a
          date two rows shared keeps its status) and its habits no other row there holds.
    - What changed while frozen is tracked in two tables (owner only): migration.frozen_rows
      (legacy id, child, start, habits, state 'created' | 'deleted') and
      migration.frozen_writes (one row per write and Monday week it touched).
    - The tooling sees the freeze (scripts/db/freeze.py): `make drift`, `make resync` and the
      endpoint's verify_consistency have nothing left to compare (exit 0); `make backfill` is
      refused (exit 2: it would place the legacy rows over what the app wrote since); `make
      sync-trigger` says retired.

Locks taken, and for how long
    lock_timeout '5s' and statement_timeout '60s' first. ACCESS EXCLUSIVE on habit_tracker
    through migrations/helpers/lock_retry.py (200 ms attempts, backoff, 12 attempts): the app's
    reads wait at most 200 ms per attempt. Held until the revision commits (triggers dropped and
    created, grants, functions: catalog work, well under a second). No lock on the new tables
    beyond replacing the functions.

How to verify
    `make verify`: "legacy freeze: habit_tracker frozen: INSERT, UPDATE, DELETE, TRUNCATE
    refused (trigger_habit_tracker_frozen enabled); sync retired; the endpoint writes the new
    tables (N weeks written while frozen)". By hand, as any role:
    INSERT INTO habit_tracker (child_name, week_period) VALUES ('x', 'y'); -> ERROR 25006.
    `make drift` -> "nothing left to compare", exit 0.

How to roll back
    `make downgrade` to 0037_legacy_archive_log: the freeze trigger goes, the endpoint's dual_write
    is 0018's again, and what was written while frozen is carried back
    (migration.carry_back_frozen_writes()): rows deleted while frozen are deleted, weeks
    created while frozen become rows under their reserved ids, and every child-week a frozen
    write touched is written back, as public.week_as_legacy() shapes it, into every live row
    covering each date (a day of a merged week, e.g. a Sunday-start row and a Monday row, goes
    to both rows where both hold the habit, so they agree); then those child-weeks are placed
    again by the one sync (source 'dual_write'). Then the sync trigger and the cron job come
    back, the grants too. `make drift` is clean after it. A habit or record id the mapping
    gives differently from the frozen write's (a week shared by rows created while frozen)
    is the mapping's after the rollback.
"""
from alembic import op

from migrations.helpers.lock_retry import lock_access_exclusive
from migrations.helpers.sql_files import execute

revision = "0038_freeze_legacy"
down_revision = "0037_legacy_archive_log"
branch_labels = None
depends_on = None

GATE = "contract"

FUNCTIONS = ("refuse_frozen_legacy_write", "frozen_refuse", "frozen_week", "frozen_habit", "frozen_set_day",
             "frozen_find_week", "frozen_create_week", "frozen_update_habit_record", "frozen_delete_week",
             "carry_back_frozen_writes")
SIGNATURES = ("refuse_frozen_legacy_write()", "frozen_refuse(TEXT, TEXT, TEXT)",
              "frozen_week(UUID, TEXT, DATE, BIGINT, DATE, JSONB)",
              "frozen_habit(UUID, TEXT, BIGINT, INTEGER, BOOLEAN, DATE)", "frozen_set_day(UUID, DATE, TEXT)",
              "frozen_find_week(UUID, JSONB)", "frozen_create_week(UUID, JSONB)",
              "frozen_update_habit_record(UUID, JSONB)", "frozen_delete_week(UUID, JSONB)",
              "carry_back_frozen_writes()")

CREATE_TABLES = (
    """CREATE TABLE migration.frozen_rows (
    legacy_id BIGINT PRIMARY KEY,
    user_id UUID NOT NULL,
    child_name TEXT NOT NULL,
    week_start_date DATE NOT NULL,
    week_period TEXT NOT NULL,
    habits JSONB NOT NULL,
    theme TEXT,
    reflection JSONB,
    reward TEXT,
    state TEXT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ck_frozen_rows_state CHECK (state IN ('created', 'deleted'))
)""",
    """COMMENT ON TABLE migration.frozen_rows IS
    'Legacy rows deleted, and weeks created (under a reserved legacy id), while habit_tracker is frozen (0038)'""",
    """CREATE TABLE migration.frozen_writes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    written_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    user_id UUID NOT NULL,
    child_name TEXT NOT NULL,
    monday DATE NOT NULL,
    legacy_id BIGINT NOT NULL,
    operation TEXT NOT NULL,
    CONSTRAINT ck_frozen_writes_operation CHECK (operation IN ('create_week', 'update_habit_record', 'delete_week')),
    CONSTRAINT ck_frozen_writes_monday CHECK (extract(ISODOW FROM monday) = 1)
)""",
    """COMMENT ON TABLE migration.frozen_writes IS
    'Each endpoint write while habit_tracker is frozen (0038), per Monday week it touched: what the rollback carries back'""",
)

REFUSE_QUEUED = """DO $$
DECLARE
    waiting BIGINT := (SELECT count(*) FROM migration.sync_queue);
BEGIN
    IF waiting > 0 THEN
        RAISE EXCEPTION '% legacy writes are still queued: make sync-drain, then upgrade again', waiting
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
END;
$$"""

UNSCHEDULE_DRAIN = """DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        PERFORM cron.unschedule(jobid) FROM cron.job WHERE jobname = 'drain-sync-queue';
    END IF;
END;
$$"""

CARRY_BACK = """DO $$
DECLARE
    rows_written INTEGER := migration.carry_back_frozen_writes();
BEGIN
    RAISE NOTICE 'carried back into habit_tracker: % legacy rows rewritten', rows_written;
END;
$$"""


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    lock_access_exclusive("public.habit_tracker")
    op.execute(REFUSE_QUEUED)
    for statement in CREATE_TABLES:
        op.execute(statement)
    execute("views/migration.live_legacy_rows", "0038")
    for function in FUNCTIONS:
        execute(f"functions/migration.{function}", "0038")
    op.execute("REVOKE INSERT, UPDATE, DELETE ON TABLE public.habit_tracker FROM authenticated")
    op.execute("REVOKE USAGE ON SEQUENCE public.habit_tracker_id_seq FROM authenticated")
    op.execute("DROP TRIGGER trigger_habit_tracker_dual_write ON public.habit_tracker")
    op.execute(UNSCHEDULE_DRAIN)
    execute("triggers/public.habit_tracker.trigger_habit_tracker_frozen", "0038")
    execute("functions/migration.dual_write", "0038")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    lock_access_exclusive("public.habit_tracker")
    op.execute("DROP TRIGGER trigger_habit_tracker_frozen ON public.habit_tracker")
    execute("functions/migration.dual_write", "0018", restoring=True)
    op.execute(CARRY_BACK)
    execute("triggers/public.habit_tracker.trigger_habit_tracker_dual_write", "0009")
    execute("cron/drain-sync-queue", "0013")
    op.execute("GRANT INSERT, UPDATE, DELETE ON TABLE public.habit_tracker TO authenticated")
    op.execute("GRANT USAGE ON SEQUENCE public.habit_tracker_id_seq TO authenticated")
    for signature in reversed(SIGNATURES):
        op.execute(f"DROP FUNCTION migration.{signature}")
    op.execute("DROP VIEW migration.live_legacy_rows")
    op.execute("DROP TABLE migration.frozen_writes")
    op.execute("DROP TABLE migration.frozen_rows")
