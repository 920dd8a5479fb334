"""Shadow indexes: the 39 indexes of the new schema, built CONCURRENTLY

Revision: 0003_shadow_indexes
Revises: 0002_shadow_tables
Created: 2026-11-25 09:30:00

What and why
    Builds the 39 secondary indexes of the new schema exactly as deployed
    (SCHEMA_FACTS section 2, "Indexes"; the planning documents say 41, the
    deployed DDL has these 39), per table:
      children 5, weeks 6, habits 5, habit_records 7, habit_templates 7,
      notifications 9  (full statements in INDEXES below).
    Including: idx_habit_templates_default_unique, a UNIQUE expression index
    on (user_id, COALESCE(child_id, '00000000-0000-0000-0000-000000000000'::uuid))
    WHERE is_default = true (one default template per user and child, with
    NULL child = "shared" counted as one value); two GIN indexes
    (habit_templates.habits, notifications.metadata); and one partial
    idx_<table>_source_version per table, (source_version) WHERE
    source_version IN ('dual_write', 'migration').

    Redundant indexes, kept because they are what is deployed (dropping them
    is a separate, later decision): idx_children_user_name duplicates the
    index of uq_children_user_name; idx_habits_week_name duplicates
    uq_habits_week_name; idx_habit_records_habit_id is a prefix of
    uq_habit_records_habit_date. (Likewise idx_children_user_id,
    idx_weeks_child_id and idx_habits_week_id are prefixes of a unique.)

    Every index is built with CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT
    EXISTS, which cannot run inside a transaction block, so the builds run in
    an Alembic autocommit block.
    THIS REVISION IS NOT TRANSACTIONAL: entering the autocommit block commits
    everything before it (including earlier revisions of the same `make
    upgrade` run), and each index is committed as soon as it is built. A
    failure midway leaves the indexes built so far in place and alembic_version
    still at 0002_shadow_tables; fix the cause and re-run `make upgrade`: it
    resumes (IF NOT EXISTS skips the valid ones). A failed CONCURRENTLY build
    leaves an INVALID index behind, which IF NOT EXISTS would silently keep;
    so, online, each build first checks pg_index.indisvalid and drops an
    invalid leftover (DROP INDEX CONCURRENTLY) before re-creating it. In
    offline (--sql) mode that check cannot run: after a failed run of the
    generated script, use the verify query below and drop invalid ones by hand.

Locks taken, and for how long
    Transaction part: only SET LOCAL lock_timeout = '5s' / statement_timeout
    = '60s' (house style); no locks.
    Autocommit part: session-level lock_timeout = '30s', statement_timeout =
    '30min' (raised on purpose: a concurrent build scans the table twice and
    waits for every transaction older than itself, in the whole database, to
    finish; the tables are empty at first deployment but this revision must
    remain safe to re-run after the back-fill). Both are set back to the
    house defaults (5s / 60s, session level) at the end of the block, even
    on failure.
    - each of the six tables: SHARE UPDATE EXCLUSIVE for the duration of each
      of its index builds (ms on empty tables). It blocks no reads and no
      writes (INSERT/UPDATE/DELETE go on), only other DDL, VACUUM/ANALYZE and
      other concurrent index builds on the same table.
    - a build waiting more than 30s for an old transaction fails with a lock
      timeout: look for long-running transactions in pg_stat_activity
      (xact_start), then re-run `make upgrade`.

How to verify
    SELECT count(*) AS built,
           count(*) FILTER (WHERE NOT i.indisvalid) AS invalid
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid IN ('public.children'::regclass, 'public.weeks'::regclass,
                          'public.habits'::regclass, 'public.habit_records'::regclass,
                          'public.habit_templates'::regclass,
                          'public.notifications'::regclass)
       AND c.relname LIKE 'idx_%';
    -- expect built = 39, invalid = 0
    SELECT indexdef FROM pg_indexes
     WHERE indexname = 'idx_habit_templates_default_unique';
    -- expect CREATE UNIQUE INDEX ... USING btree (user_id, COALESCE(child_id, ...)) WHERE (is_default = true)

How to roll back
    `make downgrade` (to 0002_shadow_tables) runs DROP INDEX CONCURRENTLY IF
    EXISTS for each of the 39, in reverse order, in an autocommit block (same
    session timeouts and reasons as above; each drop takes SHARE UPDATE
    EXCLUSIVE on its table, then waits for transactions using the table).
    Also non-transactional: if it fails midway, re-run; IF EXISTS skips those
    already dropped. The unique/primary-key indexes of 0002 are not touched.
"""
from alembic import context, op
import sqlalchemy as sa


revision = "0003_shadow_indexes"
down_revision = "0002_shadow_tables"
branch_labels = None
depends_on = None


# (index name, full CREATE statement). Upgrade walks it forwards, downgrade
# backwards. Names here are the only names ever interpolated into SQL.
INDEXES = (
    # children (5)
    ("idx_children_user_id",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_children_user_id "
     "ON children (user_id)"),
    ("idx_children_name",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_children_name "
     "ON children (name)"),
    ("idx_children_user_name",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_children_user_name "
     "ON children (user_id, name)"),
    ("idx_children_created_at_desc",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_children_created_at_desc "
     "ON children (created_at DESC)"),
    ("idx_children_source_version",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_children_source_version "
     "ON children (source_version) WHERE source_version IN ('dual_write', 'migration')"),
    # weeks (6)
    ("idx_weeks_user_id",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_weeks_user_id "
     "ON weeks (user_id)"),
    ("idx_weeks_child_id",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_weeks_child_id "
     "ON weeks (child_id)"),
    ("idx_weeks_start_date_desc",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_weeks_start_date_desc "
     "ON weeks (week_start_date DESC)"),
    ("idx_weeks_child_date",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_weeks_child_date "
     "ON weeks (child_id, week_start_date DESC)"),
    ("idx_weeks_user_date",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_weeks_user_date "
     "ON weeks (user_id, week_start_date DESC)"),
    ("idx_weeks_source_version",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_weeks_source_version "
     "ON weeks (source_version) WHERE source_version IN ('dual_write', 'migration')"),
    # habits (5)
    ("idx_habits_week_id",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habits_week_id "
     "ON habits (week_id)"),
    ("idx_habits_week_order",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habits_week_order "
     "ON habits (week_id, display_order)"),
    ("idx_habits_name",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habits_name "
     "ON habits (name)"),
    ("idx_habits_week_name",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habits_week_name "
     "ON habits (week_id, name)"),
    ("idx_habits_source_version",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habits_source_version "
     "ON habits (source_version) WHERE source_version IN ('dual_write', 'migration')"),
    # habit_records (7)
    ("idx_habit_records_habit_id",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habit_records_habit_id "
     "ON habit_records (habit_id)"),
    ("idx_habit_records_date_desc",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habit_records_date_desc "
     "ON habit_records (record_date DESC)"),
    ("idx_habit_records_habit_date",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habit_records_habit_date "
     "ON habit_records (habit_id, record_date DESC)"),
    ("idx_habit_records_status",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habit_records_status "
     "ON habit_records (status)"),
    ("idx_habit_records_habit_status",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habit_records_habit_status "
     "ON habit_records (habit_id, status)"),
    ("idx_habit_records_date_status",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habit_records_date_status "
     "ON habit_records (record_date DESC, status)"),
    ("idx_habit_records_source_version",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habit_records_source_version "
     "ON habit_records (source_version) WHERE source_version IN ('dual_write', 'migration')"),
    # habit_templates (7)
    ("idx_habit_templates_user_id",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habit_templates_user_id "
     "ON habit_templates (user_id)"),
    ("idx_habit_templates_child_id",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habit_templates_child_id "
     "ON habit_templates (child_id)"),
    ("idx_habit_templates_user_child",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habit_templates_user_child "
     "ON habit_templates (user_id, child_id)"),
    ("idx_habit_templates_default_unique",
     "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_habit_templates_default_unique "
     "ON habit_templates (user_id, coalesce(child_id, '00000000-0000-0000-0000-000000000000'::UUID)) "
     "WHERE is_default = TRUE"),
    ("idx_habit_templates_habits_gin",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habit_templates_habits_gin "
     "ON habit_templates USING gin (habits)"),
    ("idx_habit_templates_user_default",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habit_templates_user_default "
     "ON habit_templates (user_id, is_default) WHERE is_default = TRUE"),
    ("idx_habit_templates_source_version",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_habit_templates_source_version "
     "ON habit_templates (source_version) WHERE source_version IN ('dual_write', 'migration')"),
    # notifications (9)
    ("idx_notifications_user_id",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notifications_user_id "
     "ON notifications (user_id)"),
    ("idx_notifications_user_read",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notifications_user_read "
     "ON notifications (user_id, is_read)"),
    ("idx_notifications_created_at_desc",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notifications_created_at_desc "
     "ON notifications (created_at DESC)"),
    ("idx_notifications_user_created",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notifications_user_created "
     "ON notifications (user_id, created_at DESC)"),
    ("idx_notifications_type",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notifications_type "
     "ON notifications (type)"),
    ("idx_notifications_from_user_id",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notifications_from_user_id "
     "ON notifications (from_user_id) WHERE from_user_id IS NOT NULL"),
    ("idx_notifications_unread",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notifications_unread "
     "ON notifications (user_id) WHERE is_read = FALSE"),
    ("idx_notifications_metadata_gin",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notifications_metadata_gin "
     "ON notifications USING gin (metadata)"),
    ("idx_notifications_source_version",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notifications_source_version "
     "ON notifications (source_version) WHERE source_version IN ('dual_write', 'migration')"),
)

# NULL: no such index; true: exists but INVALID (a failed CONCURRENTLY build);
# false: exists and valid.
INDEX_IS_INVALID = """\
SELECT NOT i.indisvalid
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
  AND c.relname = :name"""


def _raise_session_timeouts() -> None:
    # SET LOCAL has no effect outside a transaction, so these are session
    # level (and put back to 5s / 60s afterwards). Concurrent index builds
    # and drops scan the table and wait for every older transaction to
    # finish, which can take far longer than 60s on a large table; 30s
    # bounds each lock wait.
    op.execute("SET lock_timeout = '30s'")
    op.execute("SET statement_timeout = '30min'")


def _restore_session_timeouts() -> None:
    # Back to the house defaults (the values env.py sets for every session),
    # not RESET, which would fall back to the server's (no timeout at all).
    op.execute("SET lock_timeout = '5s'")
    op.execute("SET statement_timeout = '60s'")


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")

    with op.get_context().autocommit_block():
        _raise_session_timeouts()
        try:
            for name, create_statement in INDEXES:
                if not context.is_offline_mode():
                    is_invalid = op.get_bind().execute(
                        sa.text(INDEX_IS_INVALID), {"name": name}
                    ).scalar()
                    if is_invalid:
                        # Left over by a failed build; IF NOT EXISTS would keep it.
                        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
                op.execute(create_statement)
        finally:
            _restore_session_timeouts()


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")

    with op.get_context().autocommit_block():
        _raise_session_timeouts()
        try:
            for name, _create_statement in reversed(INDEXES):
                op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        finally:
            _restore_session_timeouts()
