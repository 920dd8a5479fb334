"""Shadow tables: the six tables of the new schema, constraints NOT VALID

Revision: 0002_shadow_tables
Revises: 0001_legacy_baseline
Created: 2026-11-25 09:20:00

What and why
    Creates the new normalised schema (SCHEMA_FACTS section 2) next to the
    legacy habit_tracker, empty, so that it can later be back-filled and kept
    in step by dual writes:
        children, weeks, habits, habit_records, habit_templates, notifications
    Every table has id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    source_version TEXT DEFAULT 'new_schema', created_at TIMESTAMPTZ NOT NULL
    DEFAULT now(); all but notifications also have updated_at TIMESTAMPTZ NOT
    NULL DEFAULT now(), kept by a trigger set_<table>_updated_at (BEFORE
    UPDATE FOR EACH ROW EXECUTE FUNCTION update_updated_at_column(), the
    function from 0001, reused, not redefined).
    Unique constraints (declared inside CREATE TABLE, DEFERRABLE INITIALLY
    IMMEDIATE): uq_children_user_name, uq_weeks_child_start_date,
    uq_habits_week_name, uq_habit_records_habit_date.
    Then 23 foreign keys and checks, each its own ALTER TABLE ... ADD
    CONSTRAINT ... NOT VALID (full list in CONSTRAINTS below). weeks.template_id
    deliberately has no foreign key. All FKs are ON DELETE CASCADE except
    fk_notifications_from_user_id (ON DELETE SET NULL).

    Why NOT VALID: it is what is deployed (the original team created them so),
    and it keeps this revision to catalog-only changes. NOT VALID constraints
    are still enforced for every new INSERT/UPDATE; only the scan of existing
    rows is skipped (the tables are empty anyway). Validation
    (ALTER TABLE ... VALIDATE CONSTRAINT, SHARE UPDATE EXCLUSIVE, non-blocking)
    is a later revision: first the nine of the Phase 0 plan (fk_children_user_id,
    fk_weeks_user_id, fk_weeks_child_id, fk_habits_week_id,
    fk_habit_records_habit_id, ck_children_name_length, ck_weeks_date_range,
    ck_weeks_start_monday, ck_habit_records_status).

Locks taken, and for how long
    Timeouts: lock_timeout = '5s', statement_timeout = '60s'.
    All locks are held until this revision's transaction commits; every
    statement is catalog-only (no table scans), so that is milliseconds.
    - the six new tables: ACCESS EXCLUSIVE (created in this transaction,
      invisible to other sessions until COMMIT).
    - auth.users: SHARE ROW EXCLUSIVE, taken by the first ADD FOREIGN KEY ...
      NOT VALID that references it (fk_children_user_id; the other three reuse
      it). Blocks INSERT/UPDATE/DELETE on auth.users (sign-ups, logins that
      update last_sign_in_at) until COMMIT; reads are not blocked. While it
      waits for the lock (at most lock_timeout = 5s) it also queues writers
      behind it. If the lock is not granted within 5s the whole revision rolls
      back: retry at a quieter moment.
    - children, weeks, habits: SHARE ROW EXCLUSIVE as referenced tables of
      the internal FKs (already held in ACCESS EXCLUSIVE by this transaction).

How to verify
    SELECT conrelid::regclass AS tbl, conname, contype, convalidated
      FROM pg_constraint
     WHERE conrelid IN ('public.children'::regclass, 'public.weeks'::regclass,
                        'public.habits'::regclass, 'public.habit_records'::regclass,
                        'public.habit_templates'::regclass, 'public.notifications'::regclass)
       AND contype IN ('f', 'c')
     ORDER BY 1, 2;
    -- expect 23 rows, every convalidated = false
    SELECT conname, condeferrable, condeferred FROM pg_constraint
     WHERE contype = 'u' AND conname LIKE 'uq_%';
    -- expect the 4 uq_* rows with condeferrable = t, condeferred = f
    SELECT tgrelid::regclass, tgname FROM pg_trigger
     WHERE tgname LIKE 'set_%_updated_at';
    -- expect 5 rows (no trigger on notifications)

How to roll back
    `make downgrade` (to 0001_legacy_baseline) drops the six tables in reverse
    dependency order: notifications, habit_templates, habit_records, habits,
    weeks, children. Dropping a table drops its triggers, indexes and
    constraints with it; update_updated_at_column() is left alone (it belongs
    to 0001). Any rows in these tables are lost: before Phase 1 they are empty
    or a re-creatable back-fill. DROP TABLE takes ACCESS EXCLUSIVE on each
    table and, to remove the FK triggers there, briefly on auth.users
    (blocks logins for the milliseconds until COMMIT; waits at most 5s).
"""
from alembic import op

from migrations.helpers.sql_files import execute


revision = "0002_shadow_tables"
down_revision = "0001_legacy_baseline"
branch_labels = None
depends_on = None


CREATE_CHILDREN = """\
CREATE TABLE children (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL,
    name TEXT NOT NULL,
    source_version TEXT DEFAULT 'new_schema',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_children_user_name UNIQUE (user_id, name) DEFERRABLE INITIALLY IMMEDIATE
)"""

CREATE_WEEKS = """\
CREATE TABLE weeks (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL,
    child_id UUID NOT NULL,
    week_start_date DATE NOT NULL,
    week_end_date DATE NOT NULL,
    theme TEXT,
    reflection JSONB DEFAULT '{}'::JSONB,
    reward TEXT,
    template_id UUID,
    source_version TEXT DEFAULT 'new_schema',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_weeks_child_start_date UNIQUE (child_id, week_start_date) DEFERRABLE INITIALLY IMMEDIATE
)"""

# squawk prefer-bigint-over-int: display_order is a position in a week's habit list (at most
# a few dozen); INTEGER is the deployed type and the application's.
CREATE_HABITS = """\
CREATE TABLE habits (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    week_id UUID NOT NULL,
    name TEXT NOT NULL,
    time_period TEXT,
    -- squawk-ignore prefer-bigint-over-int
    display_order INTEGER NOT NULL DEFAULT 0,
    source_version TEXT DEFAULT 'new_schema',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_habits_week_name UNIQUE (week_id, name) DEFERRABLE INITIALLY IMMEDIATE
)"""

CREATE_HABIT_RECORDS = """\
CREATE TABLE habit_records (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    habit_id UUID NOT NULL,
    record_date DATE NOT NULL,
    status TEXT NOT NULL,
    note TEXT,
    source_version TEXT DEFAULT 'new_schema',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_habit_records_habit_date UNIQUE (habit_id, record_date) DEFERRABLE INITIALLY IMMEDIATE
)"""

CREATE_HABIT_TEMPLATES = """\
CREATE TABLE habit_templates (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL,
    child_id UUID,
    name TEXT NOT NULL,
    description TEXT,
    habits JSONB NOT NULL DEFAULT '[]'::JSONB,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    source_version TEXT DEFAULT 'new_schema',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
)"""

CREATE_NOTIFICATIONS = """\
CREATE TABLE notifications (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL,
    from_user_id UUID,
    type TEXT NOT NULL,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    link_url TEXT,
    metadata JSONB DEFAULT '{}'::JSONB,
    is_read BOOLEAN NOT NULL DEFAULT FALSE,
    source_version TEXT DEFAULT 'new_schema',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
)"""

# Tables with an updated_at column (all but notifications), in creation order.
UPDATED_AT_TABLES = ("children", "weeks", "habits", "habit_records", "habit_templates")

# The 23 foreign keys and checks, all NOT VALID, one ALTER TABLE each.
CONSTRAINTS = (
    # children (2)
    "ALTER TABLE children ADD CONSTRAINT fk_children_user_id "
    "FOREIGN KEY (user_id) REFERENCES auth.users (id) ON DELETE CASCADE NOT VALID",
    "ALTER TABLE children ADD CONSTRAINT ck_children_name_length "
    "CHECK (char_length(name) BETWEEN 1 AND 100) NOT VALID",
    # weeks (4)
    "ALTER TABLE weeks ADD CONSTRAINT fk_weeks_user_id "
    "FOREIGN KEY (user_id) REFERENCES auth.users (id) ON DELETE CASCADE NOT VALID",
    "ALTER TABLE weeks ADD CONSTRAINT fk_weeks_child_id "
    "FOREIGN KEY (child_id) REFERENCES children (id) ON DELETE CASCADE NOT VALID",
    "ALTER TABLE weeks ADD CONSTRAINT ck_weeks_date_range "
    "CHECK (week_end_date = week_start_date + 6) NOT VALID",
    "ALTER TABLE weeks ADD CONSTRAINT ck_weeks_start_monday "
    "CHECK (extract(DOW FROM week_start_date) = 1) NOT VALID",
    # habits (3)
    "ALTER TABLE habits ADD CONSTRAINT fk_habits_week_id "
    "FOREIGN KEY (week_id) REFERENCES weeks (id) ON DELETE CASCADE NOT VALID",
    "ALTER TABLE habits ADD CONSTRAINT ck_habits_name_length "
    "CHECK (char_length(name) BETWEEN 1 AND 200) NOT VALID",
    "ALTER TABLE habits ADD CONSTRAINT ck_habits_display_order "
    "CHECK (display_order >= 0) NOT VALID",
    # habit_records (3)
    "ALTER TABLE habit_records ADD CONSTRAINT fk_habit_records_habit_id "
    "FOREIGN KEY (habit_id) REFERENCES habits (id) ON DELETE CASCADE NOT VALID",
    "ALTER TABLE habit_records ADD CONSTRAINT ck_habit_records_status "
    "CHECK (status IN ('green', 'yellow', 'red', 'none')) NOT VALID",
    "ALTER TABLE habit_records ADD CONSTRAINT ck_habit_records_note_length "
    "CHECK (note IS NULL OR char_length(note) <= 500) NOT VALID",
    # habit_templates (5)
    "ALTER TABLE habit_templates ADD CONSTRAINT fk_habit_templates_user_id "
    "FOREIGN KEY (user_id) REFERENCES auth.users (id) ON DELETE CASCADE NOT VALID",
    "ALTER TABLE habit_templates ADD CONSTRAINT fk_habit_templates_child_id "
    "FOREIGN KEY (child_id) REFERENCES children (id) ON DELETE CASCADE NOT VALID",
    "ALTER TABLE habit_templates ADD CONSTRAINT ck_habit_templates_name_length "
    "CHECK (char_length(name) BETWEEN 1 AND 100) NOT VALID",
    "ALTER TABLE habit_templates ADD CONSTRAINT ck_habit_templates_description_length "
    "CHECK (description IS NULL OR char_length(description) <= 500) NOT VALID",
    "ALTER TABLE habit_templates ADD CONSTRAINT ck_habit_templates_habits_is_array "
    "CHECK (jsonb_typeof(habits) = 'array') NOT VALID",
    # notifications (6)
    "ALTER TABLE notifications ADD CONSTRAINT fk_notifications_user_id "
    "FOREIGN KEY (user_id) REFERENCES auth.users (id) ON DELETE CASCADE NOT VALID",
    "ALTER TABLE notifications ADD CONSTRAINT fk_notifications_from_user_id "
    "FOREIGN KEY (from_user_id) REFERENCES auth.users (id) ON DELETE SET NULL NOT VALID",
    "ALTER TABLE notifications ADD CONSTRAINT ck_notifications_type "
    "CHECK (type IN ('mention', 'achievement', 'weekly_report', 'chat')) NOT VALID",
    "ALTER TABLE notifications ADD CONSTRAINT ck_notifications_title_length "
    "CHECK (char_length(title) BETWEEN 1 AND 200) NOT VALID",
    "ALTER TABLE notifications ADD CONSTRAINT ck_notifications_message_length "
    "CHECK (char_length(message) BETWEEN 1 AND 1000) NOT VALID",
    "ALTER TABLE notifications ADD CONSTRAINT ck_notifications_metadata_is_object "
    "CHECK (jsonb_typeof(metadata) = 'object') NOT VALID",
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")

    # Parents before children; no FKs yet, so no locks outside the new tables.
    op.execute(CREATE_CHILDREN)
    op.execute(CREATE_WEEKS)
    op.execute(CREATE_HABITS)
    op.execute(CREATE_HABIT_RECORDS)
    op.execute(CREATE_HABIT_TEMPLATES)
    op.execute(CREATE_NOTIFICATIONS)

    for table in UPDATED_AT_TABLES:
        execute(f"triggers/public.{table}.set_{table}_updated_at", "0002")

    # From here on SHARE ROW EXCLUSIVE is held on auth.users until COMMIT.
    for statement in CONSTRAINTS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")

    # Reverse dependency order; each DROP takes the table's triggers,
    # constraints and indexes with it.
    op.execute("DROP TABLE notifications")
    op.execute("DROP TABLE habit_templates")
    op.execute("DROP TABLE habit_records")
    op.execute("DROP TABLE habits")
    op.execute("DROP TABLE weeks")
    op.execute("DROP TABLE children")
