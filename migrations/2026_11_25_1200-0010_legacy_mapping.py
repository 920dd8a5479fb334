"""The old -> new mapping, written once in SQL, and the quarantine for rows it cannot take

Revision: 0010_legacy_mapping
Revises: 0009_dual_write_trigger_phase0
Created: 2026-11-25 12:00:00

What and why
    SCHEMA_FACTS §4 maps each legacy `habit_tracker` row to a child, a week, its habits and
    their records. This revision writes that mapping once, as SQL objects in a schema of its
    own (`migration`, not exposed through Supabase's API), and everything that needs it uses
    these objects: the backfill (`make backfill`), the drift check, and the Phase 1 sync
    trigger. Nothing else restates the rules.

    - migration.week_start(habit_tracker): the week's Monday. NULL week_start_date takes the
      date of the `week_period` label; a Sunday start (a Korean Monday stored through UTC)
      is moved to the Monday only when the setting `repair_sunday_starts` is 'true'
      (default 'false': such rows are quarantined, the safe choice).
    - migration.local_problem(habit_tracker) / migration.row_problem(habit_tracker): why a
      row cannot be migrated as it is, as (reason, detail), or NULL. The policy per dirty
      case (SCHEMA_FACTS §1):
        no_user               user_id NULL: the new tables need an owner.      quarantine
        bad_child_name        child_name empty or over 100 characters.           quarantine
        no_week_start         no week_start_date and no parseable label.         quarantine
        not_monday            the start is not a Monday (after the optional
                              Sunday repair).                                    quarantine
        habits_not_array      `habits` is JSON but not an array.                 quarantine
        bad_habit             an element is not an object with a text name.      quarantine
        bad_habit_name        a habit name empty or over 200 characters.         quarantine
        duplicate_habit_name  two habits of the week share a name.               quarantine
        times_not_array       a habit's `times` is not an array.                 quarantine
        times_too_long        `times` has a non-empty entry past Sunday.         quarantine
        unknown_status        a day holds something other than '', green,
                              yellow, red or none.                               quarantine
        duplicate_week        an older clean legacy row already maps to the same
                              child and week.                                    quarantine
      Migrated as they are, nothing lost: `habits` NULL or [] (a week with no habits);
      `times` shorter than 7 (the missing days have no record); `times` longer than 7 with
      only empty extras; a `week_period` label that disagrees with a valid Monday
      week_start_date (the label is not stored in the new schema; the date wins).
    - Ids are deterministic, so the same legacy row always maps to the same new rows and
      every writer (backfill, trigger, endpoint) agrees without a lookup table:
      week md5('habit_tracker/week/<legacy id>'), habit '.../habit/<id>/<position>', record
      '.../record/<id>/<position>/<day>', child '.../child/<user id>/<name>' (as uuid).
    - Views migration.expected_children / expected_weeks / expected_habits /
      expected_records: what the new tables must hold for the clean legacy rows;
      display_order is the element's 0-based position (never the JSON id: the original
      used it and lost every record of the 13-digit-id habits).
    - migration.sync_legacy_ids(ids, source): makes the new tables equal to the mapping for
      those legacy ids (insert, update what differs, delete what no longer maps, quarantine
      what cannot be mapped, release what now can); set-based, idempotent. Rows it writes
      carry `source_version = source` ('migration' for the backfill).
    - Tables migration.settings (repair_sunday_starts) and migration.backfill_quarantine
      (legacy_id, reason, detail, quarantined_at).

Locks taken, and for how long
    CREATE SCHEMA / TABLE / FUNCTION / VIEW only: no lock on any existing table beyond the
    dependency records (ACCESS SHARE on habit_tracker and the new tables for the views).
    Timeouts: lock_timeout '5s', statement_timeout '60s'.

How to verify
    SELECT * FROM migration.expected_weeks LIMIT 5;
    SELECT (migration.row_problem(h)).* FROM habit_tracker h LIMIT 5;
    `make verify` checks the objects; `make backfill` uses them.

How to roll back
    `make downgrade` drops the schema `migration` and everything in it, including the
    quarantine records. The new tables' rows written by a backfill stay (they are data;
    drop them with the tables, or keep them).
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0010_legacy_mapping"
down_revision = "0009_dual_write_trigger_phase0"
branch_labels = None
depends_on = None

CREATE_SETTINGS = """\
CREATE TABLE migration.settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    CONSTRAINT ck_settings_known CHECK (name IN ('repair_sunday_starts')),
    CONSTRAINT ck_settings_boolean CHECK (value IN ('true', 'false'))
)"""

CREATE_QUARANTINE = """\
CREATE TABLE migration.backfill_quarantine (
    legacy_id BIGINT PRIMARY KEY,
    reason TEXT NOT NULL,
    detail TEXT,
    quarantined_at TIMESTAMPTZ NOT NULL DEFAULT now()
)"""

# The functions and views, in creation order; the SQL of each is
# migrations/sql/functions/migration.<name>@0010.sql or views/migration.<name>@0010.sql.
# (`-- noqa: CP05` in those files: sqlfluff reads a table's row type, public.habit_tracker, as
# a datatype to capitalise; it is the table's name.)
FUNCTIONS = (
    "parse_week_period",
    "repair_sunday_starts",
    "week_start",
    "habit_elements",  # the habits of a row as (pos, element); NULL habits mean none
    "local_problem",
    "row_problem",
    "week_id",
    "habit_id",
    "record_id",
    "child_id",
    # The three expansions of one clean legacy row. The views below and sync_legacy_ids() both
    # call them, so the rules exist once.
    "map_week",
    "map_habits",
    "map_records",
)
VIEWS = (
    "classified_legacy_rows",  # every legacy row with its Monday and, when it cannot be migrated, why
    "expected_weeks",
    "expected_children",
    "expected_habits",
    "expected_records",
)
DROP_ID_FUNCTIONS = (
    "DROP FUNCTION migration.week_id(BIGINT)",
    "DROP FUNCTION migration.habit_id(BIGINT, INTEGER)",
    "DROP FUNCTION migration.record_id(BIGINT, INTEGER, INTEGER)",
    "DROP FUNCTION migration.child_id(UUID, TEXT)",
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute("CREATE SCHEMA migration")
    op.execute("COMMENT ON SCHEMA migration IS 'The old -> new mapping of habit_tracker, and its quarantine'")
    op.execute(CREATE_SETTINGS)
    op.execute("INSERT INTO migration.settings (name, value) VALUES ('repair_sunday_starts', 'false')")
    op.execute(CREATE_QUARANTINE)
    for function in FUNCTIONS:
        execute(f"functions/migration.{function}", "0010")
    for view in VIEWS:
        execute(f"views/migration.{view}", "0010")
    execute("functions/migration.sync_legacy_ids", "0010")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute("DROP FUNCTION migration.sync_legacy_ids(BIGINT[], TEXT)")
    op.execute("DROP VIEW migration.expected_records")
    op.execute("DROP VIEW migration.expected_habits")
    op.execute("DROP VIEW migration.expected_children")
    op.execute("DROP VIEW migration.expected_weeks")
    op.execute("DROP VIEW migration.classified_legacy_rows")
    op.execute("DROP FUNCTION migration.map_records(BIGINT, DATE, JSONB)")
    op.execute("DROP FUNCTION migration.map_habits(BIGINT, JSONB)")
    op.execute("DROP FUNCTION migration.map_week(public.habit_tracker, DATE)")
    for statement in DROP_ID_FUNCTIONS:
        op.execute(statement)
    op.execute("DROP FUNCTION migration.row_problem(public.habit_tracker)")
    op.execute("DROP FUNCTION migration.local_problem(public.habit_tracker)")
    op.execute("DROP FUNCTION migration.habit_elements(JSONB)")
    op.execute("DROP FUNCTION migration.week_start(public.habit_tracker)")
    op.execute("DROP FUNCTION migration.repair_sunday_starts()")
    op.execute("DROP FUNCTION migration.parse_week_period(TEXT)")
    op.execute("DROP TABLE migration.backfill_quarantine")
    op.execute("DROP TABLE migration.settings")
    op.execute("DROP SCHEMA migration")
