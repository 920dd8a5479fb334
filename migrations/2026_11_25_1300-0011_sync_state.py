"""Record, per legacy row, what the mapping gave when it was last synced (fast full drift check)

Revision: 0011_sync_state
Revises: 0010_legacy_mapping
Created: 2026-11-25 13:00:00

What and why
    The drift check must cover every legacy row, but evaluating the mapping for all of
    them costs as much as the naive comparison it is meant to beat. The mapping is a pure
    function of the legacy row and the policy in migration.settings, so its result needs
    recomputing only when either changed. From this revision on, every sync records for
    each legacy row it handled:

        migration.sync_state (legacy_id, row_hash, user_id, child_name, monday, week_id,
                              fingerprint, synced_at)

    - row_hash = migration.row_hash(h): md5 of the legacy row's text and the policy. A
      legacy row whose hash still matches maps to what was recorded; any other row (new,
      changed, changed while the trigger was off, or under a changed policy) is re-mapped
      by the drift check.
    - fingerprint = migration.week_fingerprint(...) over the week, habits and records the
      mapping produced (not what is in the tables), NULL for a quarantined row. The drift
      check computes the same fingerprint from the new tables and compares.
    - (user_id, child_name, monday): the duplicate_week rule makes a row's outcome depend
      on the other rows of its child-week, so the drift check re-maps the whole group when
      any member changed.

    Mechanics, so that no sync rule is restated: 0010's sync_legacy_ids() is renamed
    migration.write_mapping() unchanged, and a new migration.sync_legacy_ids() with the
    same signature calls it and then migration.record_sync_state(), which reads the
    mapping's output from the temporary tables write_mapping() leaves for the rest of the
    transaction (pg_temp.sync_rows, sync_weeks, sync_habits, sync_records). Callers (the
    backfill, and the sync trigger to come) keep calling sync_legacy_ids().

    Any later revision that changes the mapping's rules must TRUNCATE migration.sync_state
    (the next drift check then re-maps every row; `make backfill` records the state again).
    `make drift --full` ignores the state altogether.

Locks taken, and for how long
    CREATE TABLE / FUNCTION and ALTER FUNCTION ... RENAME in the migration schema only; no
    lock on habit_tracker or the new tables. A backfill running during the upgrade keeps its
    calls consistent: a call resolves sync_legacy_ids() when its transaction runs it.
    Timeouts: lock_timeout '5s', statement_timeout '60s'.

How to verify
    SELECT count(*) FROM migration.sync_state;   -- after `make backfill`: one row per legacy row
    `make verify` (legacy mapping: sync state present); `make drift` reports how many rows
    it re-mapped.

How to roll back
    `make downgrade` drops sync_legacy_ids(), record_sync_state(), the fingerprint and hash
    functions and the table (the state is derived data: nothing is lost), and renames
    write_mapping() back to sync_legacy_ids(), exactly 0010's function.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0011_sync_state"
down_revision = "0010_legacy_mapping"
branch_labels = None
depends_on = None

CREATE_SYNC_STATE = """\
CREATE TABLE migration.sync_state (
    legacy_id BIGINT PRIMARY KEY,
    row_hash UUID NOT NULL,
    user_id UUID,
    child_name TEXT,
    monday DATE,
    week_id UUID,
    fingerprint UUID,
    synced_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ck_sync_state_mapped_has_fingerprint CHECK ((week_id IS NULL) = (fingerprint IS NULL))
)"""

# The functions, in creation order (write_mapping() renamed between week_fingerprint() and
# record_sync_state()); the SQL of each is migrations/sql/functions/migration.<name>@0011.sql.
# row_hash(): the policy is part of the hash, so changing repair_sunday_starts makes every row
# stale. habit_line(), record_line(), week_fingerprint(): one line per habit and per record,
# one fingerprint per week over them; the drift check aggregates the new tables' rows with
# these same functions (plain concatenation, not format(): they run once per record of every
# backfilled week).
FUNCTIONS_BEFORE_RENAME = ("row_hash", "habit_line", "record_line", "week_fingerprint")
FUNCTIONS_AFTER_RENAME = ("record_sync_state", "sync_legacy_ids")


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute(CREATE_SYNC_STATE)
    op.execute("COMMENT ON TABLE migration.sync_state IS "
               "'Per legacy row: its hash and the mapping''s week fingerprint when last synced (drift check)'")
    for function in FUNCTIONS_BEFORE_RENAME:
        execute(f"functions/migration.{function}", "0011")
    # Renamed, not changed: its only callers call sync_legacy_ids(), which keeps the name.
    op.execute("-- squawk-ignore renaming-object\n"
               "ALTER FUNCTION migration.sync_legacy_ids(BIGINT[], TEXT) RENAME TO write_mapping")
    for function in FUNCTIONS_AFTER_RENAME:
        execute(f"functions/migration.{function}", "0011")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute("DROP FUNCTION migration.sync_legacy_ids(BIGINT[], TEXT)")
    op.execute("DROP FUNCTION migration.record_sync_state(BIGINT[])")
    op.execute("-- squawk-ignore renaming-object\n"
               "ALTER FUNCTION migration.write_mapping(BIGINT[], TEXT) RENAME TO sync_legacy_ids")
    op.execute("DROP FUNCTION migration.week_fingerprint(UUID, UUID, DATE, DATE, TEXT, JSONB, TEXT, TEXT, TEXT)")
    op.execute("DROP FUNCTION migration.record_line(UUID, UUID, DATE, TEXT)")
    op.execute("DROP FUNCTION migration.habit_line(UUID, TEXT, INTEGER)")
    op.execute("DROP FUNCTION migration.row_hash(public.habit_tracker)")
    op.execute("DROP TABLE migration.sync_state")
