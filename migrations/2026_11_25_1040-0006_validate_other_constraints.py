"""Validate the remaining fourteen NOT VALID constraints

Revision: 0006_validate_other_constraints
Revises: 0005_validate_phase0_constraints
Created: 2026-11-25 10:40:00

What and why
    The original plan validated nine constraints (0005) and left fourteen NOT VALID, which
    means rows written before the constraint existed were never checked. This revision
    validates those fourteen so that all 23 of the shadow schema hold for every row:
    ck_habits_name_length, ck_habits_display_order, ck_habit_records_note_length, the five
    on habit_templates and the six on notifications.

    Same mechanism as 0005 (migrations/helpers/validation_steps.py): a preflight count per constraint
    that stops with one line naming it and its offending rows, then one VALIDATE per
    autocommit statement. Not transactional by design: a failure leaves the earlier ones
    validated; fix the data and run the same `make upgrade` again.

Locks taken, and for how long
    SHARE UPDATE EXCLUSIVE on each table (ROW SHARE on auth.users / children for the
    foreign keys) for one scan each; reads and writes continue. statement_timeout '30min'
    for the scans, lock_timeout '5s'.

How to verify
    SELECT count(*) FROM pg_constraint
     WHERE connamespace = 'public'::regnamespace AND contype IN ('c', 'f') AND NOT convalidated;
    -- 0. `make verify` reports each constraint against this revision.

How to roll back
    `make downgrade` drops each of the fourteen and adds it again NOT VALID with the same
    definition, one short transaction each (ACCESS EXCLUSIVE for milliseconds).
"""
from alembic import op

from migrations.helpers.validation_steps import unvalidate_each, validate_each

revision = "0006_validate_other_constraints"
down_revision = "0005_validate_phase0_constraints"
branch_labels = None
depends_on = None

# (table, constraint, definition as created by 0002), the definition used only on downgrade.
REMAINING_CONSTRAINTS = (
    ("habits", "ck_habits_name_length", "CHECK (char_length(name) BETWEEN 1 AND 200)"),
    ("habits", "ck_habits_display_order", "CHECK (display_order >= 0)"),
    ("habit_records", "ck_habit_records_note_length", "CHECK (note IS NULL OR char_length(note) <= 500)"),
    ("habit_templates", "fk_habit_templates_user_id",
     "FOREIGN KEY (user_id) REFERENCES auth.users (id) ON DELETE CASCADE"),
    ("habit_templates", "fk_habit_templates_child_id",
     "FOREIGN KEY (child_id) REFERENCES children (id) ON DELETE CASCADE"),
    ("habit_templates", "ck_habit_templates_name_length", "CHECK (char_length(name) BETWEEN 1 AND 100)"),
    ("habit_templates", "ck_habit_templates_description_length",
     "CHECK (description IS NULL OR char_length(description) <= 500)"),
    ("habit_templates", "ck_habit_templates_habits_is_array", "CHECK (jsonb_typeof(habits) = 'array')"),
    ("notifications", "fk_notifications_user_id",
     "FOREIGN KEY (user_id) REFERENCES auth.users (id) ON DELETE CASCADE"),
    ("notifications", "fk_notifications_from_user_id",
     "FOREIGN KEY (from_user_id) REFERENCES auth.users (id) ON DELETE SET NULL"),
    ("notifications", "ck_notifications_type",
     "CHECK (type IN ('mention', 'achievement', 'weekly_report', 'chat'))"),
    ("notifications", "ck_notifications_title_length", "CHECK (char_length(title) BETWEEN 1 AND 200)"),
    ("notifications", "ck_notifications_message_length", "CHECK (char_length(message) BETWEEN 1 AND 1000)"),
    ("notifications", "ck_notifications_metadata_is_object", "CHECK (jsonb_typeof(metadata) = 'object')"),
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    validate_each(REMAINING_CONSTRAINTS)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    unvalidate_each(REMAINING_CONSTRAINTS)
