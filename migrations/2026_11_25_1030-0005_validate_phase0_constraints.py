"""Validate the nine constraints the Phase 0 plan validates first (T0.14)

Revision: 0005_validate_phase0_constraints
Revises: 0004_shadow_rls_policies
Created: 2026-11-25 10:30:00

What and why
    The shadow schema's constraints were added NOT VALID (0002): PostgreSQL enforces them
    for new and updated rows but has never checked the rows already there. This revision
    validates the nine the plan lists first, so that the backfilled data is proven to obey
    them: five foreign keys (fk_children_user_id, fk_weeks_user_id, fk_weeks_child_id,
    fk_habits_week_id, fk_habit_records_habit_id) and four checks (ck_children_name_length,
    ck_weeks_date_range, ck_weeks_start_monday, ck_habit_records_status). The other
    fourteen follow in 0006.

    Before each VALIDATE, a preflight counts the rows that break the constraint
    (scripts/db/constraint_violations.py, the same code as `make preflight`). If any do, the
    upgrade stops with one line naming the constraint, the count and the first ids, instead
    of a bare "violated by some row".

    NOT TRANSACTIONAL BY DESIGN: each VALIDATE runs and commits on its own (an autocommit
    block), so a failure leaves the constraints before it validated and alembic_version at
    0004; fix the data and run the same `make upgrade` again (re-validating is a no-op).

Locks taken, and for how long
    VALIDATE CONSTRAINT takes SHARE UPDATE EXCLUSIVE on the table (and, for a foreign key,
    ROW SHARE on the referenced table) for the duration of one scan. Neither blocks
    SELECT, INSERT, UPDATE or DELETE; they block only other DDL and VACUUM on those tables.
    statement_timeout is raised to '30min' for the scans (session level, inside the
    autocommit block; env.py restores the defaults afterwards); lock_timeout stays '5s'.
    At the real data's size (tens of rows per table) each scan takes milliseconds.

How to verify
    SELECT conname, convalidated FROM pg_constraint WHERE conname IN (<the nine>);
    -- all true. `make verify` reports every constraint's state against this revision.

How to roll back
    `make downgrade` drops each of the nine and adds it again NOT VALID with the same
    definition, one short transaction per constraint (ACCESS EXCLUSIVE on the table, and
    on the referenced table for a foreign key, for milliseconds, lock_timeout '5s').
"""
from alembic import op

from migrations.helpers.validation_steps import unvalidate_each, validate_each

revision = "0005_validate_phase0_constraints"
down_revision = "0004_shadow_rls_policies"
branch_labels = None
depends_on = None

# (table, constraint, definition as created by 0002): the definition is used only to
# re-create the constraint NOT VALID on downgrade.
PHASE0_CONSTRAINTS = (
    ("children", "fk_children_user_id", "FOREIGN KEY (user_id) REFERENCES auth.users (id) ON DELETE CASCADE"),
    ("weeks", "fk_weeks_user_id", "FOREIGN KEY (user_id) REFERENCES auth.users (id) ON DELETE CASCADE"),
    ("weeks", "fk_weeks_child_id", "FOREIGN KEY (child_id) REFERENCES children (id) ON DELETE CASCADE"),
    ("habits", "fk_habits_week_id", "FOREIGN KEY (week_id) REFERENCES weeks (id) ON DELETE CASCADE"),
    ("habit_records", "fk_habit_records_habit_id",
     "FOREIGN KEY (habit_id) REFERENCES habits (id) ON DELETE CASCADE"),
    ("children", "ck_children_name_length", "CHECK (char_length(name) BETWEEN 1 AND 100)"),
    ("weeks", "ck_weeks_date_range", "CHECK (week_end_date = week_start_date + 6)"),
    ("weeks", "ck_weeks_start_monday", "CHECK (extract(DOW FROM week_start_date) = 1)"),
    ("habit_records", "ck_habit_records_status", "CHECK (status IN ('green', 'yellow', 'red', 'none'))"),
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    validate_each(PHASE0_CONSTRAINTS)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    unvalidate_each(PHASE0_CONSTRAINTS)
