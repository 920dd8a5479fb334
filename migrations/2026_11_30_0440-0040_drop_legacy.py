"""Phase 3, the end: habit_tracker_old and every object that only served the migration are dropped, after the retention and against a matching archive

Revision: 0040_drop_legacy
Revises: 0039_rename_legacy
Created: 2026-11-30 04:40:00

What and why
    The contract's last step (issue #21 point 4). The original team dropped its legacy table
    three times over, without an archive anyone could restore, and left the dual-write trigger,
    its functions and a drift job querying a dropped table behind (JOURNEY_FACTS). Here the drop
    refuses until it can lose nothing, then removes everything the migration built for itself,
    and keeps what the app still calls. Gated: GATE = "contract" (`make contract-check`).

    Refused (55000, nothing applied) unless, checked under the lock:
    - the retention has passed: migration.retired_legacy_table.renamed_at (0039) plus
      `-x retention_days=N` days (default 7; 0 only with the throwaway-only override:
      migrations/helpers/contract_options.py) is in the past;
    - an archive recorded by `make archive-legacy` (migration.legacy_archives, 0037) matches,
      by row count and migration.table_checksum(), each of: public.habit_tracker_old,
      migration.quarantine_decisions, migration.placement_conflicts,
      migration.discarded_legacy_rows and migration.backfill_quarantine, as they are now.

    Then, in one transaction:
    - the endpoint stops naming weeks through the legacy rows: migration.dual_write() (same
      signature, idempotency log and errors) calls migration.endpoint_create_week /
      endpoint_update_habit_record / endpoint_delete_week, which name a week as the new
      schema does, by the user's child and its Monday. A week_start_date that is not a Monday
      is refused with 422 naming that Monday (the app reads Monday weeks only since the 100%
      cutover: public.week_as_legacy() refuses other days); a response's legacy_id is null
      (there is no legacy row). New rows take the columns' defaults (random ids,
      source_version 'new_schema'); existing rows keep their ids and provenance.
    - migration.retired_legacy_table gains dropped_at, dropped_by and archive_id (the archive
      that matched) and records the drop: the table's figures at the rename stay the record of
      what was dropped.
    - dropped, without CASCADE (an object depending on them that this list does not name stops
      the revision): the legacy table public.habit_tracker_old (with its sequence, indexes and
      triggers); the views that read it (the mapping's expected_*, classified, unresolved and
      day-account views, live_legacy_rows); the mapping, the sync and its queue and state, the
      quarantine's functions and tables, the frozen endpoint's functions and tables, the
      trigger functions of the sync, the TRUNCATE guard and the freeze; the sync's settings;
      the types child_week and placement_line; Phase 0's public.sync_old_to_new(). The pg_cron
      job drain-sync-queue is unscheduled already (0038) and checked absent.
    - kept: the new tables and their triggers, idempotency_log and its cleanup job, the read
      functions, the read switch (the app still asks public.reads_from_new()), the records'
      owner triggers, table_checksum()/archive_matches() (a restore is checked with them), and
      the records of Phase 3 (legacy_reader_windows, legacy_archives, retired_legacy_table).

Locks taken, and for how long
    lock_timeout '2s', statement_timeout '300s'. ACCESS EXCLUSIVE on habit_tracker_old and the
    four archived migration tables (one LOCK TABLE) through migrations/helpers/lock_retry.py
    (200 ms attempts with backoff, 12 of them): no role of the app may read any of them since
    0039, so nothing but an operator's session can wait. Held until the commit: the five
    tables' checksums for the archive check and the legacy table's once more for the record
    (about a second at 34,000 weeks), then catalog changes. The endpoint's functions are
    replaced in the same transaction: a request in flight finishes on the old ones (they hold
    no lock on the legacy table: it reads habit_tracker_old's rows only through the owner's
    functions, which wait at most the request's lock_timeout, 2 s, and then answer 503), the
    next runs the new ones.

How to verify
    `make verify`: "legacy dropped: habit_tracker_old dropped at <time> by <role> (archive N,
    <file>, sha256 ...); K retired objects absent; the endpoint names weeks by child and Monday";
    the lines of the retired machinery ("dual-write trigger", "legacy mapping", "quarantine
    decisions", "filled days", ...) each say which of their objects are gone. `make drift`:
    nothing left to compare, exit 0.

How to roll back
    One-way: the downgrade refuses (exit 1) and changes nothing. The dropped rows are in the
    archive: `make restore-legacy FILE=...` rebuilds them on a throwaway database (RUNBOOK step
    35), from where a DBA moves what is needed by hand. The retired functions and views are in
    their frozen files (migrations/sql/*/...@<revision>.sql) should any be needed again.
"""
import sqlalchemy as sa
from alembic import op

from migrations.helpers.contract_options import retention_days
from migrations.helpers.lock_retry import lock_access_exclusive
from migrations.helpers.sql_files import execute

revision = "0040_drop_legacy"
down_revision = "0039_rename_legacy"
branch_labels = None
depends_on = None

GATE = "contract"
# The downgrade refuses: what it dropped is in the archive only (tests/test_lifecycle.py checks the refusal).
ONE_WAY = True

LEGACY = "public.habit_tracker_old"
# What `make archive-legacy` exports with the legacy table: each must match an archive. (The
# discarded rows name their decision: dropped first.)
ARCHIVED_RECORDS = ("migration.discarded_legacy_rows", "migration.quarantine_decisions",
                    "migration.placement_conflicts", "migration.backfill_quarantine")

# The endpoint after the drop: the functions dual_write calls, then dual_write itself.
ENDPOINT = ("endpoint_refuse", "endpoint_habits_problem", "endpoint_find_week", "endpoint_create_week",
            "endpoint_update_habit_record", "endpoint_delete_week", "dual_write")

# Dependents first: a view reading another, then what it reads.
VIEWS = ("legacy_day_accounts", "unresolved_legacy_rows", "classified_legacy_rows", "expected_children",
         "expected_weeks", "expected_habits", "expected_records", "expected_conflicts", "live_legacy_rows")
FUNCTIONS = (
    # the frozen endpoint (0038, 0039) and its carry-back
    "frozen_create_week(UUID, JSONB)", "frozen_update_habit_record(UUID, JSONB)", "frozen_delete_week(UUID, JSONB)",
    "frozen_find_week(UUID, JSONB)", "frozen_week(UUID, TEXT, DATE, BIGINT, DATE, JSONB)",
    "frozen_habit(UUID, TEXT, BIGINT, INTEGER, BOOLEAN, DATE)", "frozen_set_day(UUID, DATE, TEXT)",
    "frozen_refuse(TEXT, TEXT, TEXT)", "carry_back_frozen_writes()",
    # the dual-write endpoint of Phase 1 (0018-0023)
    "dual_write_find_week(UUID, JSONB)", "dual_write_create_week(UUID, JSONB)",
    "dual_write_update_habit_record(UUID, JSONB)", "dual_write_delete_week(UUID, JSONB)",
    "dual_write_sync(BIGINT, UUID, TEXT)",
    # the quarantine's decisions (0024)
    "assign_legacy_owner(BIGINT, UUID, TEXT)", "discard_legacy_row(BIGINT, TEXT)",
    "undo_quarantine_decision(BIGINT, TEXT)", "lock_unresolved_row(BIGINT)",
    # the sync, its queue and its drain (0009-0023)
    "drain_sync_queue(INTEGER)", "sync_legacy_rows(BIGINT[], TEXT, UUID[])", "sync_legacy_ids(BIGINT[], TEXT)",
    "sync_legacy_row(BIGINT, TEXT, UUID)", "try_sync_legacy_row(BIGINT, TEXT, UUID, BIGINT[])",
    "sync_trigger_enabled()", "lock_legacy_children(BIGINT[], BOOLEAN, UUID[])",
    "child_week_members(BIGINT[])", "legacy_children(BIGINT[])",
    # the mapping (0010-0026)
    "place_child_weeks(migration.child_week[], TEXT)", "week_members(migration.child_week[])",
    "placement(BIGINT[])", "legacy_weeks(BIGINT[])", "conflict_line(BIGINT, TEXT, TEXT, DATE, JSONB, JSONB, BIGINT)",
    "week_fingerprint(UUID, UUID, DATE, DATE, TEXT, JSONB, TEXT, TEXT, TEXT)", "habit_line(UUID, TEXT, INTEGER)",
    "record_line(UUID, UUID, DATE, TEXT)", "filled_days(public.habit_tracker_old)",
    "row_hash(public.habit_tracker_old)", "row_problem(public.habit_tracker_old)",
    "local_problem(public.habit_tracker_old)", "week_start(public.habit_tracker_old)",
    "week_id(BIGINT)", "habit_id(BIGINT, INTEGER)", "record_id(BIGINT, INTEGER, INTEGER)", "child_id(UUID, TEXT)",
    "parse_week_period(TEXT)", "week_label(DATE)", "monday_of(DATE)", "habit_elements(JSONB)",
)
# The legacy table's trigger functions (0020's TRUNCATE guard, 0038's freeze): dropped after it.
TRIGGER_FUNCTIONS = ("refuse_legacy_truncate()", "refuse_frozen_legacy_write()")
TABLES = ("migration.frozen_writes", "migration.frozen_rows", "migration.sync_queue", "migration.sync_failures",
          "migration.sync_state", "migration.placed_weeks", "migration.settings", *ARCHIVED_RECORDS, LEGACY)
TYPES = ("migration.child_week", "migration.placement_line")

# squawk warns that a drop may break clients: no client of the app names any of these (the
# contract gate's legacy-readers window, 0039's 42P01 for the old name), and the drop is the point.
IGNORE = "-- squawk-ignore "
# sqlfluff reads a composite type or a table's row type as a data type it wants in upper case.
ROW_TYPE_NOQA = "  -- noqa: CP05\n"


def row_type_noqa(signature: str) -> str:
    """The signature, its closing parenthesis on the next line after sqlfluff's noqa where it
    names one of the migration's composite types or the legacy table's row type."""
    if "migration.child_week" in signature or "habit_tracker_old" in signature:
        return signature[:-1] + ROW_TYPE_NOQA + ")"
    return signature


REFUSE_BEFORE_RETENTION = """DO $$
DECLARE
    renamed TIMESTAMPTZ := (SELECT r.renamed_at FROM migration.retired_legacy_table AS r);
    kept INTERVAL := make_interval(days => current_setting('migration.retention_days')::INTEGER);
BEGIN
    IF renamed IS NULL THEN
        RAISE EXCEPTION 'habit_tracker_old has no recorded rename (migration.retired_legacy_table is empty): not dropped'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF renamed + kept > now() THEN
        RAISE EXCEPTION 'habit_tracker_old was renamed at %; its retention of % ends at %: not dropped',
            renamed, kept, renamed + kept
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Run the drop after that time (-x retention_days=N sets the days; 0 only on a throwaway database).';
    END IF;
END
$$"""

REFUSE_WITHOUT_ARCHIVE = f"""DO $$
DECLARE
    unmatched TEXT := (
        SELECT string_agg(t.name, ', ' ORDER BY t.pos)
        FROM unnest(ARRAY['{LEGACY}', '{"', '".join(ARCHIVED_RECORDS)}']) WITH ORDINALITY AS t (name, pos)
        WHERE NOT migration.archive_matches(t.name::REGCLASS)
    );
BEGIN
    IF unmatched IS NOT NULL THEN
        RAISE EXCEPTION 'no archive recorded in migration.legacy_archives holds % as it is now: not dropped', unmatched
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'make archive-legacy (after the rename), keep the file twice, then run the drop again.';
    END IF;
END
$$"""

REFUSE_DRAIN_JOB = """DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        IF EXISTS (SELECT 1 FROM cron.job WHERE jobname = 'drain-sync-queue') THEN
            RAISE EXCEPTION 'the pg_cron job drain-sync-queue is scheduled again: not dropped'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'SELECT cron.unschedule(''drain-sync-queue''); 0038 retired it.';
        END IF;
    END IF;
END
$$"""

RECORD_DROP = f"""UPDATE migration.retired_legacy_table AS r
SET dropped_at = now(), dropped_by = current_user,
    archive_id = (SELECT max(a.id) FROM migration.legacy_archives AS a
                  WHERE a.tables -> '{LEGACY}' ->> 'checksum' = migration.table_checksum('{LEGACY}'::REGCLASS))"""


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '300s'")
    op.execute(sa.text("SELECT set_config('migration.retention_days', :days, TRUE)").bindparams(
        days=str(retention_days())))
    op.execute(REFUSE_BEFORE_RETENTION)
    lock_access_exclusive(LEGACY, *ARCHIVED_RECORDS)
    op.execute(REFUSE_WITHOUT_ARCHIVE)
    op.execute(REFUSE_DRAIN_JOB)

    op.execute("""ALTER TABLE migration.retired_legacy_table
    ADD COLUMN dropped_at TIMESTAMPTZ,
    ADD COLUMN dropped_by TEXT,
    ADD COLUMN archive_id BIGINT""")
    op.execute("""ALTER TABLE migration.retired_legacy_table
    ADD CONSTRAINT fk_retired_legacy_table_archive FOREIGN KEY (archive_id) REFERENCES migration.legacy_archives (id)
    NOT VALID""")
    # Validated in the same transaction: the table has one row and no reader but the owner.
    op.execute(f"{IGNORE}constraint-missing-not-valid\n"
               "ALTER TABLE migration.retired_legacy_table VALIDATE CONSTRAINT fk_retired_legacy_table_archive")
    op.execute(RECORD_DROP)
    op.execute("""COMMENT ON TABLE migration.retired_legacy_table IS
    'The legacy table as it was renamed to habit_tracker_old (0039) and dropped (0040), with the archive that held it'""")

    for name in ENDPOINT:
        execute(f"functions/migration.{name}", "0040")

    for name in VIEWS:
        op.execute(f"{IGNORE}ban-drop-view\nDROP VIEW migration.{name}")
    for signature in FUNCTIONS:
        op.execute(f"{IGNORE}ban-drop-function\nDROP FUNCTION migration.{row_type_noqa(signature)}")
    op.execute(f"{IGNORE}ban-drop-function\nDROP FUNCTION public.sync_old_to_new()")
    for table in TABLES:
        op.execute(f"{IGNORE}ban-drop-table\nDROP TABLE {table}")
    for signature in TRIGGER_FUNCTIONS:
        op.execute(f"{IGNORE}ban-drop-function\nDROP FUNCTION migration.{signature}")
    for name in TYPES:
        op.execute(f"{IGNORE}ban-drop-type\nDROP TYPE {name}{ROW_TYPE_NOQA}RESTRICT")
    op.execute("""COMMENT ON SCHEMA migration IS
    'What stays of the migration: the endpoint''s functions, the read switch, the records'' owner triggers, and the records of Phase 3 (legacy-reader windows, archives, the retired legacy table)'""")


def downgrade() -> None:
    # NotImplementedError: Alembic's and pytest-alembic's way of saying "one-way".
    raise NotImplementedError("0040_drop_legacy is one-way: habit_tracker_old is dropped and nothing is changed now; "
                       "its rows are in the archive: make restore-legacy FILE=... on a throwaway database "
                       "(docs/RUNBOOK.md step 35)")
