"""RLS policies the planner can use: the same rules, written so that indexes serve them

Revision: 0015_rls_planner_friendly
Revises: 0014_idempotency_key_per_user
Created: 2026-11-25 17:00:00

What and why
    `make perf-baseline` measured the app's eight reads as the app will send them after
    Phase 2 (role authenticated, RLS on). Two of them scanned a whole table whatever its
    indexes, because of how 0004 wrote the policies of habits and habit_records:

        EXISTS (SELECT 1 FROM weeks WHERE weeks.id = habits.week_id AND weeks.user_id = auth.uid())

    A correlated EXISTS in a policy is evaluated row by row (a security qual is never turned
    into a join), so "record counts by status" read every habit_records row and "habits whose
    name contains a word" every habits row: at 100x the backup (3,400 weeks) 342 ms and
    59 ms, growing with the table, not with the user.

    The same rule written as membership in the user's own ids,

        habits         week_id  = ANY (ARRAY(SELECT w.id FROM weeks w WHERE w.user_id = (SELECT auth.uid())))
        habit_records  habit_id = ANY (ARRAY(SELECT h.id FROM habits h JOIN weeks w ON w.id = h.week_id
                                                 WHERE w.user_id = (SELECT auth.uid())))

    is an uncorrelated InitPlan computed once per statement, and `= ANY($1)` is an index
    condition (idx_habits_week_id, idx_habit_records_habit_id): both reads now start from
    the user's weeks (1.8 ms and 0.8 ms at 100x). The owner checks become
    `(SELECT auth.uid()) = user_id`, also an InitPlan, so auth.uid() (a JSON parse of the
    claims) runs once per statement instead of once per row. `make perf-baseline` prints the
    before and after at 1x-1000x.

    The rows each policy admits are unchanged: a row is visible exactly when its week (or its
    habit's week) belongs to auth.uid(); a NULL parent id is admitted by neither form. The
    subqueries read weeks and habits under their own policies, as 0004's did.
    tests/test_rls_policies.py runs its whole suite at 0004 and at head.

    RLS is still disabled on these tables (Phase 2 enables it), so nothing the application
    sees changes now.

Locks taken, and for how long
    Timeouts: lock_timeout '5s', statement_timeout '60s'. ALTER POLICY takes ACCESS EXCLUSIVE
    on its table until COMMIT: catalog only, milliseconds. The six tables are locked in
    turn, in 0004's order; a write to them (the dual-write sync) waits that long. If a lock is
    not granted within 5s the revision rolls back; retry.

How to verify
    SELECT tablename, policyname, qual, with_check FROM pg_policies
     WHERE schemaname = 'public' ORDER BY 1, 2;
    -- the habits and habit_records policies read "= ANY (ARRAY(...))"
    `make verify` checks the 24 policies exist; `make perf-baseline` shows the access paths.

How to roll back
    `make downgrade` (to 0014) puts 0004's expressions back, read from 0004's frozen files
    (migrations/sql/policies/public.<table>@0004.sql), under the same locks.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0015_rls_planner_friendly"
down_revision = "0014_idempotency_key_per_user"
branch_labels = None
depends_on = None

# The six tables of 0004, in 0004's order. Each table's four ALTER POLICY statements are
# migrations/sql/policies/public.<table>@0015.sql; the downgrade restores 0004's
# (policies/public.<table>@0004.sql, each CREATE POLICY run as ALTER POLICY).
TABLES = ("children", "weeks", "habits", "habit_records", "habit_templates", "notifications")


def _alter_policies(revision: str, restoring: bool) -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for table in TABLES:
        execute(f"policies/public.{table}", revision, restoring=restoring)


def upgrade() -> None:
    _alter_policies("0015", restoring=False)


def downgrade() -> None:
    _alter_policies("0004", restoring=True)
