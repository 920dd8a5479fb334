"""Every filled day goes to the new tables on its own date: legacy weeks are placed by date and merged

Revision: 0023_place_days_by_date
Revises: 0022_row_sync_locks_first
Created: 2026-11-29 22:00:00

What and why
    Until 0022 the mapping (0010) took one legacy row to one week and quarantined every row
    that did not start on a Monday (not_monday), every second row of a child-week
    (duplicate_week) and every row with a repeated habit name (duplicate_habit_name). On data
    shaped like the real backup that strands 10 of 34 rows (29%), and dropping habit_tracker
    at contract time would lose them, as the original team lost 9 weeks, 46 habits and 36
    filled days. `repair_sunday_starts` was no answer: those rows' own labels say
    Sunday-Saturday, so moving them to the next Monday shifts every day by one.

    From this revision a filled day is a fact about a date, `start + position`, placed in the
    Monday week (Monday-Sunday) holding that date, for the row's user and child. The rule is
    written once, in migration.placement(legacy_ids), and the backfill, the trigger's drain,
    the endpoint, resync and the drift check all use it:
    - A row contributes to the one or two Monday weeks its seven days fall in: to its home
      week (the one holding four or more of its days) always, with all its habits; to the
      other one only where it has a filled day, with those habits. A Tuesday-start row gives
      six days to one week and one to the next; a Sunday-start row one and six.
    - Rows of the same child and Monday merge. Habits by name: one habit per name per week,
      ordered Monday-start rows first, then by legacy id (the order rows were created), then
      position. Records by (habit, date): the row with the later updated_at wins (then the
      same order). A repeated name inside one row is merged the same way: days that agree are
      one record; a day they disagree on keeps the first position's status and records the
      other as a conflict. Nothing is suffixed, nothing dropped.
    - Week fields (theme, reflection, reward) come from the row starting on that Monday, else
      the row with the most days in the week (then the later updated_at, then the lower id).
    - A losing value is recorded in migration.placement_conflicts, never dropped: a status
      that differs from the kept one, and a losing row's week field that holds something
      (not NULL, not '', a reflection with some non-empty value) in its home week and differs
      from the kept one.
    - Nothing is guessed: a row with no user_id, an unreadable start or a shape the mapping
      cannot read stays in backfill_quarantine with its reason (the reasons not_monday,
      duplicate_week and duplicate_habit_name no longer exist).
    - Ids stay what they were wherever a Monday row already mapped: a week with a Monday-start
      row keeps 0010's week_id() of the lowest such id, and a habit whose first occurrence is
      in that Monday row keeps habit_id() and record_id(). Other weeks, habits and records get
      ids of the child and the Monday, of the source row, position and Monday, and of the
      habit and the date. So a re-run of the backfill after this revision writes only the
      rows that were stranded; nothing already migrated changes id.

    Objects:
    - types migration.child_week (user_id, child_name, monday), the unit a sync places whole,
      and migration.placement_line, one line of the mapping's output (a week, a habit, a
      record or a conflict);
    - tables migration.placed_weeks (per child-week: the week id, the legacy rows in it and the
      fingerprint of what was placed: what `make drift` trusts until one of those rows
      changes) and migration.placement_conflicts (the losing values, with the kept value and
      the row it came from);
    - functions monday_of(), legacy_weeks() (the child-weeks a row's days can fall in, now and
      at its last sync, and wherever a sync placed it), week_members() (every row with a day in
      given child-weeks),
      placement(), place_child_weeks() (the writer: weeks, habits, records, conflicts,
      placed_weeks, differences only), and sync_legacy_rows(), the one sync: it locks the
      rows' children (0021's lock_legacy_children()), then every row of their child-weeks (an
      advisory lock per legacy id, in id order, always after the children: a sync placing a row
      that another sync is moving waits for it, then sees where it was placed), reads the
      child-weeks again under the locks and takes them all again if one is new,
      quarantines, places the rows' child-weeks whole, records the sync state and deletes
      children left without a week. sync_legacy_ids() and sync_legacy_row() now call it;
    - replaced: drain_sync_queue() (it no longer locks before calling sync_legacy_ids(),
      which locks: locks taken outside its retry could not be released, and a drain deadlocked
      with a backfill batch in tests/test_drain_backfill_race.py), week_start() (no Sunday repair), local_problem() and row_problem() (no
      not_monday, duplicate_habit_name or duplicate_week), row_hash() (no policy in the hash),
      child_week_members() (by date), legacy_children() (0021's query in PL/pgSQL, planned once
      a session instead of at each of a sync's two calls: 0.57 ms of an endpoint request), the view classified_legacy_rows (column start_date for
      monday) and the expected_* views (now over placement()), plus expected_conflicts; the
      endpoint's functions: a week may start on any day (the response gives its home week and
      every week its days went to), the duplicate_week 409 is gone (rows merge), and
      update_habit_record answers with the habit and record of the day's own week;
    - migration.sync_state recreated, empty, with start_date (the row's first day) for monday
      and without week_id and fingerprint (per child-week now, in placed_weeks): it is derived
      data, refilled by the next sync of each row;
    - dropped, being unused: write_mapping(), record_sync_state(), map_week(), map_habits(),
      map_records(), child_week_rows(), child_week_ids(), repair_sunday_starts() and the
      four-argument dual_write_sync(). migration.settings keeps its repair_sunday_starts row
      for a downgrade; nothing reads it any more.

    Every new function has EXECUTE revoked from PUBLIC (0019's rule); nothing is created in
    public and no grant changes.

    Data: the revision changes no row of public (the sync state, derived, starts empty).
    Weeks already placed stay as they are (same ids); the stranded rows are placed by the next
    sync of their child-weeks: run `make backfill` right after (it re-places every row; at 34 rows, a second). Until it has run `make drift` lists
    them as MISSING_WEEK and MISSING_RECORD: the honest state.

Locks taken, and for how long
    DROP and CREATE TABLE migration.sync_state (ACCESS EXCLUSIVE on that table for
    milliseconds; the drain and the endpoint's sync wait up to lock_timeout for it); CREATE TYPE / TABLE / VIEW / FUNCTION and DROP VIEW / FUNCTION in the
    migration schema. No lock on habit_tracker or the new tables. A sync running during the
    upgrade finishes with the functions it started with. Timeouts: lock_timeout '5s',
    statement_timeout '60s'.

How to verify
    SELECT count(*) FROM migration.backfill_quarantine
    WHERE reason IN ('not_monday', 'duplicate_week', 'duplicate_habit_name');   -- 0 after make backfill
    `make verify` (legacy mapping: placement by date); `make backfill` then `make drift`:
    clean, with the conflicts counted as known; `make quarantine` lists what is left.

How to roll back
    `make downgrade` (to 0022) restores every replaced and dropped object from its frozen
    file (0010-0022), migration.sync_state as 0011 created it (empty), and drops what this
    revision created, the conflicts recorded with it. The weeks placed from
    non-Monday and merged rows stay in the new tables: run `make backfill` at 0022 to take them
    out again (those rows go back to quarantine) and refill the sync state; until then drift
    reports them as EXTRA_WEEK.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0023_place_days_by_date"
down_revision = "0022_row_sync_locks_first"
branch_labels = None
depends_on = None

CREATE_TYPES = (
    """CREATE TYPE migration.child_week AS (  -- noqa: CP05
    user_id UUID, child_name TEXT, monday DATE
)""",
    """CREATE TYPE migration.placement_line AS (  -- noqa: CP05
    kind TEXT,
    user_id UUID,
    child_name TEXT,
    monday DATE,
    child_id UUID,
    week_id UUID,
    habit_id UUID,
    record_id UUID,
    name TEXT,
    display_order INTEGER,
    record_date DATE,
    status TEXT,
    theme TEXT,
    reflection JSONB,
    reward TEXT,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    legacy_id BIGINT,
    legacy_ids BIGINT[],
    field TEXT,
    lost_value JSONB,
    kept_value JSONB,
    kept_legacy_id BIGINT
)""",
)
# The sync state is derived data (what the last sync of each row saw), rebuilt by `make backfill`:
# recreated empty with this revision's columns, and on downgrade as 0011 created it.
CREATE_SYNC_STATE = """CREATE TABLE migration.sync_state (
    legacy_id BIGINT PRIMARY KEY,
    row_hash UUID NOT NULL,
    user_id UUID,
    child_name TEXT,
    start_date DATE,
    synced_at TIMESTAMPTZ NOT NULL DEFAULT now()
)"""
COMMENT_SYNC_STATE = ("COMMENT ON TABLE migration.sync_state IS "
                      "'Per legacy row: its hash and where its days fell when last synced (drift check)'")
CREATE_SYNC_STATE_0011 = """CREATE TABLE migration.sync_state (
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
COMMENT_SYNC_STATE_0011 = ("COMMENT ON TABLE migration.sync_state IS "
                           "'Per legacy row: its hash and the mapping''s week fingerprint when last synced (drift check)'")
CREATE_TABLES = (
    """CREATE TABLE migration.placed_weeks (
    user_id UUID NOT NULL,
    child_name TEXT NOT NULL,
    monday DATE NOT NULL,
    week_id UUID NOT NULL,
    legacy_ids BIGINT[] NOT NULL,
    fingerprint UUID NOT NULL,
    placed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pk_placed_weeks PRIMARY KEY (user_id, child_name, monday)
)""",
    # Which child-weeks hold a row (legacy_weeks(): `legacy_ids && ...`). The table is created
    # empty just above, in this transaction: nothing to build concurrently.
    """-- squawk-ignore require-concurrent-index-creation
CREATE INDEX ix_placed_weeks_legacy_ids ON migration.placed_weeks USING gin (legacy_ids)""",
    """COMMENT ON TABLE migration.placed_weeks IS
    'Per child-week: the week placed, its legacy rows and the fingerprint of what was placed (drift check)'""",
    """CREATE TABLE migration.placement_conflicts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id UUID NOT NULL,
    child_name TEXT NOT NULL,
    monday DATE NOT NULL,
    week_id UUID NOT NULL,
    legacy_id BIGINT NOT NULL,
    field TEXT NOT NULL,
    habit_name TEXT,
    record_date DATE,
    lost_value JSONB NOT NULL,
    kept_value JSONB,
    kept_legacy_id BIGINT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ck_placement_conflicts_field CHECK (field IN ('status', 'theme', 'reflection', 'reward')),
    CONSTRAINT ck_placement_conflicts_status_has_day CHECK ((field = 'status') = (record_date IS NOT NULL)),
    CONSTRAINT uq_placement_conflicts_item UNIQUE NULLS NOT DISTINCT
        (user_id, child_name, monday, legacy_id, field, habit_name, record_date, lost_value)
)""",
    """COMMENT ON TABLE migration.placement_conflicts IS
    'Values a merge of legacy rows did not keep (a status of the same habit and day, a week field), with the kept one'""",
)
OLD_VIEWS = ("expected_children", "expected_records", "expected_habits", "expected_weeks", "classified_legacy_rows")
# Dropped: nothing calls them from this revision on. The downgrade restores each from the frozen
# file named (write_mapping() by renaming 0010's sync_legacy_ids(), as 0011 did), in this order,
# and revokes EXECUTE from PUBLIC again (0019).
RETIRED_FUNCTIONS = (
    ("migration.repair_sunday_starts()", "repair_sunday_starts", "0010"),
    ("migration.map_week(public.habit_tracker, DATE)", "map_week", "0010"),
    ("migration.map_habits(BIGINT, JSONB)", "map_habits", "0010"),
    ("migration.map_records(BIGINT, DATE, JSONB)", "map_records", "0010"),
    ("migration.record_sync_state(BIGINT[])", "record_sync_state", "0011"),
    ("migration.child_week_rows(public.habit_tracker)", "child_week_rows", "0012"),
    ("migration.child_week_ids(UUID, TEXT, DATE)", "child_week_ids", "0013"),
    ("migration.dual_write_sync(BIGINT, BIGINT[], UUID, TEXT)", "dual_write_sync", "0018"),
    ("migration.write_mapping(BIGINT[], TEXT)", None, None),
)
# Replaced in place (CREATE OR REPLACE), with the frozen file each is restored from.
REPLACED_BEFORE_VIEWS = (("week_start", "0010"), ("row_hash", "0011"), ("local_problem", "0010"),
                         ("row_problem", "0010"))
NEW_BEFORE_VIEWS = ("monday_of",)
NEW_AFTER_VIEWS = ("legacy_weeks", "week_members", "placement")
NEW_VIEWS = ("expected_weeks", "expected_habits", "expected_records", "expected_conflicts")
REPLACED_AFTER_VIEWS = (("child_week_members", "0013"), ("legacy_children", "0021"))
NEW_SYNC = ("place_child_weeks", "sync_legacy_rows")
REPLACED_SYNC = (("sync_legacy_ids", "0021"), ("sync_legacy_row", "0022"), ("drain_sync_queue", "0021"))
REPLACED_ENDPOINT = (("dual_write_find_week", "0018"), ("dual_write_create_week", "0018"),
                     ("dual_write_update_habit_record", "0018"), ("dual_write_delete_week", "0018"))
NEW_SIGNATURES = (
    "migration.dual_write_sync(BIGINT, UUID, TEXT)",
    "migration.sync_legacy_rows(BIGINT[], TEXT, UUID[])",
    "migration.place_child_weeks(migration.child_week[], TEXT)",
    "migration.placement(BIGINT[])",
    "migration.week_members(migration.child_week[])",
    "migration.legacy_weeks(BIGINT[])",
    "migration.monday_of(DATE)",
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for statement in CREATE_TYPES:
        op.execute(statement)
    # Nothing outside the migration schema reads what is dropped here; each is named in the
    # docstring and restored by the downgrade.
    op.execute("-- squawk-ignore ban-drop-table\nDROP TABLE migration.sync_state")
    op.execute(CREATE_SYNC_STATE)
    op.execute(COMMENT_SYNC_STATE)
    for statement in CREATE_TABLES:
        op.execute(statement)
    for view in OLD_VIEWS:
        op.execute(f"-- squawk-ignore ban-drop-view\nDROP VIEW migration.{view}")
    for signature, _name, _frozen in RETIRED_FUNCTIONS:
        # public.habit_tracker is a row type, not a datatype for sqlfluff to capitalise (the
        # noqa comment ends its line, never the statement).
        signature = signature.replace("public.habit_tracker,", "public.habit_tracker,  -- noqa: CP05\n   ")
        signature = signature.replace("public.habit_tracker)", "public.habit_tracker  -- noqa: CP05\n)")
        op.execute(f"-- squawk-ignore ban-drop-function\nDROP FUNCTION {signature}")
    for name in NEW_BEFORE_VIEWS:
        execute(f"functions/migration.{name}", "0023")
    for name, _ in REPLACED_BEFORE_VIEWS:
        execute(f"functions/migration.{name}", "0023")
    execute("views/migration.classified_legacy_rows", "0023")
    for name in NEW_AFTER_VIEWS:
        execute(f"functions/migration.{name}", "0023")
    for view in NEW_VIEWS:
        execute(f"views/migration.{view}", "0023")
    execute("views/migration.expected_children", "0010")  # unchanged: over expected_weeks, as in 0010
    for name, _ in REPLACED_AFTER_VIEWS:
        execute(f"functions/migration.{name}", "0023")
    for name in NEW_SYNC:
        execute(f"functions/migration.{name}", "0023")
    for name, _ in REPLACED_SYNC:
        execute(f"functions/migration.{name}", "0023")
    execute("functions/migration.dual_write_sync", "0023")
    for name, _ in REPLACED_ENDPOINT:
        execute(f"functions/migration.{name}", "0023")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute("DROP VIEW migration.expected_children")
    for view in reversed(NEW_VIEWS):
        op.execute(f"DROP VIEW migration.{view}")
    op.execute("DROP VIEW migration.classified_legacy_rows")
    for signature in NEW_SIGNATURES:
        op.execute(f"DROP FUNCTION {signature}")
    op.execute("DROP TABLE migration.placement_conflicts")
    op.execute("DROP TABLE migration.placed_weeks")
    op.execute("DROP TABLE migration.sync_state")
    op.execute(CREATE_SYNC_STATE_0011)
    op.execute(COMMENT_SYNC_STATE_0011)
    # 0010's functions and views as 0022 had them (the SQL functions before what reads them).
    execute("functions/migration.repair_sunday_starts", "0010")
    for name, frozen in REPLACED_BEFORE_VIEWS:
        execute(f"functions/migration.{name}", frozen, restoring=True)
    for signature, name, frozen in RETIRED_FUNCTIONS:
        if name not in (None, "repair_sunday_starts"):
            execute(f"functions/migration.{name}", frozen)
    for view in ("classified_legacy_rows", "expected_weeks", "expected_children", "expected_habits",
                 "expected_records"):
        execute(f"views/migration.{view}", "0010")
    # write_mapping() is 0010's sync_legacy_ids() renamed by 0011; then 0021's sync_legacy_ids().
    op.execute("DROP FUNCTION migration.sync_legacy_ids(BIGINT[], TEXT)")
    execute("functions/migration.sync_legacy_ids", "0010")
    op.execute("-- squawk-ignore renaming-object\n"
               "ALTER FUNCTION migration.sync_legacy_ids(BIGINT[], TEXT) RENAME TO write_mapping")
    execute("functions/migration.sync_legacy_ids", "0021")
    op.execute("REVOKE EXECUTE ON FUNCTION migration.sync_legacy_ids(BIGINT[], TEXT) FROM PUBLIC")
    for signature, _name, _frozen in RETIRED_FUNCTIONS:
        op.execute(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC")
    for name, frozen in REPLACED_AFTER_VIEWS + REPLACED_SYNC[1:] + REPLACED_ENDPOINT:
        execute(f"functions/migration.{name}", frozen, restoring=True)
    op.execute("DROP TYPE migration.placement_line")
    op.execute("DROP TYPE migration.child_week")
