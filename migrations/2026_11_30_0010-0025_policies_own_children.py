"""The policies fixed before they are enforced: a week or template points at one's own child, a notification is sent as oneself

Revision: 0025_policies_own_children
Revises: 0024_quarantine_decisions
Created: 2026-11-30 00:10:00

What and why
    Phase 2 turns RLS on table by table (issue #20); the policies it will enforce must be right
    before that, not after. Three holes were pinned down by tests/test_rls_policies.py as the
    predicates of SCHEMA_FACTS §2 leave them (the original team found its families' data open
    only after the cutover, JOURNEY_FACTS):
    - weeks and habit_templates checked only user_id: a user could attach a week or a template
      to another family's child (the NOT VALID foreign key checks existence only, and bypasses
      RLS). Their INSERT and UPDATE policies now also require the child to be the caller's:
      EXISTS (SELECT 1 FROM children AS c WHERE c.id = <row>.child_id AND c.user_id =
      (SELECT auth.uid())), one primary-key probe of children; a template with no child
      (child_id NULL) stays allowed. The UPDATE policies had USING only (PostgreSQL then checks
      the new row with it); they now have the same WITH CHECK as the INSERT ones, so a week
      cannot be moved to another family's child either.
    - notifications_insert_policy was `auth.uid() = from_user_id OR from_user_id IS NULL`: a
      NULL sender passed for anyone, anon included. It is now `(SELECT auth.uid()) =
      from_user_id`: a notification is sent as the caller or not at all (system notifications
      are written by the service role, which bypasses RLS).
    - idempotency_log's four policies (0007) called auth.uid() per row; they take 0015's form,
      `(SELECT auth.uid()) = user_id`, evaluated once per statement (an InitPlan), so the
      planner serves them with the index on user_id.

    RLS stays off on the six new tables (0004); idempotency_log's is on since 0007, and its
    policies admit the same rows as before. ALTER POLICY only: no policy is ever absent, and
    the names, commands and roles stay.

Locks taken, and for how long
    ALTER POLICY takes ACCESS EXCLUSIVE on its table for the catalog update (milliseconds):
    weeks, habit_templates, notifications, idempotency_log. The endpoint's writes to
    idempotency_log wait for it (lock_timeout '5s' here; the endpoint's own is 2 s: a request
    that times out answers 503 and is retried by the app). Timeouts: lock_timeout '5s',
    statement_timeout '60s'.

How to verify
    SELECT policyname, with_check FROM pg_policies WHERE tablename IN ('weeks', 'habit_templates')
        AND cmd IN ('INSERT', 'UPDATE');   -- each with_check reads children
    `make verify` (rls policies: ... own child 4/4, sender checked, idempotency_log by InitPlan 4/4);
    tests/test_rls_policies.py at head: the former holes refused with 42501.

How to roll back
    `make downgrade` (to 0024) puts back the policies as 0015 and 0007 left them: each ALTER
    POLICY again from their frozen files, and the two UPDATE policies dropped and created again
    with USING only (ALTER POLICY cannot remove a WITH CHECK), in this one transaction. That
    reopens the three holes; nothing enforces RLS on the new tables yet, so no data is exposed.
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0025_policies_own_children"
down_revision = "0024_quarantine_decisions"
branch_labels = None
depends_on = None

# migrations/sql/policies/public.<table>@0025.sql: the ALTER POLICY statements of each table.
TABLES = ("weeks", "habit_templates", "notifications", "idempotency_log")
# Where each table's policies were last defined before this revision (restored on downgrade).
BEFORE = {"weeks": "0015", "habit_templates": "0015", "notifications": "0015", "idempotency_log": "0007"}
# The UPDATE policies given a WITH CHECK here: recreated with USING only on downgrade, as 0004
# created them (0015 rewrote their USING to this form).
UPDATE_USING_ONLY = (
    ("weeks", "weeks_update_policy"),
    ("habit_templates", "habit_templates_update_policy"),
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for table in TABLES:
        execute(f"policies/public.{table}", "0025")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for table, policy in UPDATE_USING_ONLY:
        op.execute(f"DROP POLICY {policy} ON {table}")
        op.execute(f"CREATE POLICY {policy} ON {table} FOR UPDATE USING ((SELECT auth.uid()) = user_id)")
    for table in TABLES:
        execute(f"policies/public.{table}", BEFORE[table], restoring=True)
