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
    `make downgrade` (to 0014) puts 0004's expressions back, read from 0004 itself, under the
    same locks.
"""
from alembic import context, op

revision = "0015_rls_planner_friendly"
down_revision = "0014_idempotency_key_per_user"
branch_labels = None
depends_on = None

POLICIES_REVISION = "0004_shadow_rls_policies"

# Each rule is written once here.
OWNER = "(SELECT auth.uid()) = user_id"
HABITS_WEEK_OWNER = "week_id = ANY(ARRAY(SELECT w.id FROM weeks AS w WHERE w.user_id = (SELECT auth.uid())))"
HABIT_RECORDS_WEEK_OWNER = (
    "habit_id = ANY(ARRAY(SELECT h.id FROM habits AS h INNER JOIN weeks AS w ON h.week_id = w.id "
    "WHERE w.user_id = (SELECT auth.uid())))"
)
NOTIFICATION_SENDER = "(SELECT auth.uid()) = from_user_id OR from_user_id IS NULL"

# table: (USING of SELECT/UPDATE/DELETE, WITH CHECK of INSERT), in 0004's order.
RULES = {
    "children": (OWNER, OWNER),
    "weeks": (OWNER, OWNER),
    "habits": (HABITS_WEEK_OWNER, HABITS_WEEK_OWNER),
    "habit_records": (HABIT_RECORDS_WEEK_OWNER, HABIT_RECORDS_WEEK_OWNER),
    "habit_templates": (OWNER, OWNER),
    "notifications": (OWNER, NOTIFICATION_SENDER),
}
# (table, command, clause) for 0004's 24 policies, <table>_<command>_policy.
POLICIES = tuple(
    (table, command, f"WITH CHECK ({check})" if command == "INSERT" else f"USING ({using})")
    for table, (using, check) in RULES.items()
    for command in ("SELECT", "INSERT", "UPDATE", "DELETE")
)


def _alter_policies(policies) -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for table, command, clause in policies:
        op.execute(f"ALTER POLICY {table}_{command.lower()}_policy ON {table} {clause}")


def upgrade() -> None:
    _alter_policies(POLICIES)


def downgrade() -> None:
    _alter_policies(context.script.get_revision(POLICIES_REVISION).module.POLICIES)
