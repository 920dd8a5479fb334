"""Shadow RLS policies: 24 policies on the six new tables, RLS left disabled

Revision: 0004_shadow_rls_policies
Revises: 0003_shadow_indexes
Created: 2026-11-25 09:40:00

What and why
    Creates the row-level-security policies of the new schema exactly as
    deployed (SCHEMA_FACTS section 2, "RLS policies"): four per table,
    <table>_{select,insert,update,delete}_policy, 24 in all. No TO clause, so
    each applies to PUBLIC (all roles), as deployed. The predicates:

      children, weeks, habit_templates
        SELECT/UPDATE/DELETE  USING      (auth.uid() = user_id)
        INSERT                WITH CHECK (auth.uid() = user_id)
      habits                  (owner of the parent week)
        SELECT/UPDATE/DELETE  USING      (EXISTS (SELECT 1 FROM weeks
                                            WHERE weeks.id = habits.week_id
                                              AND weeks.user_id = auth.uid()))
        INSERT                WITH CHECK (same expression)
      habit_records           (owner of the week of the parent habit)
        SELECT/UPDATE/DELETE  USING      (EXISTS (SELECT 1 FROM habits
                                            JOIN weeks ON weeks.id = habits.week_id
                                            WHERE habits.id = habit_records.habit_id
                                              AND weeks.user_id = auth.uid()))
        INSERT                WITH CHECK (same expression)
      notifications
        SELECT/UPDATE/DELETE  USING      (auth.uid() = user_id)
        INSERT                WITH CHECK (auth.uid() = from_user_id OR from_user_id IS NULL)

    The UPDATE policies have USING only; PostgreSQL then applies the same
    expression as WITH CHECK to the new row.

    RLS IS NOT ENABLED on these tables by this revision (relrowsecurity stays
    false), so the policies have no effect yet: the tables are still being
    back-filled and dual-written, and the policies can be reviewed in
    pg_policies before they bite. Phase 2 enables RLS table by table, in the
    order children, habit_templates, notifications (plain owner checks), then
    weeks, habits, habit_records (whose policies look up the parent rows),
    each step separately reversible.

Locks taken, and for how long
    Timeouts: lock_timeout = '5s', statement_timeout = '60s'.
    - each of the six tables: ACCESS EXCLUSIVE, taken by its first CREATE
      POLICY and held until this revision's transaction commits
      (milliseconds: catalog-only). It blocks all reads and writes of that
      table meanwhile; the shadow tables have no application traffic yet,
      at most the dual-write path, which waits.
    - weeks (for the habits and habit_records policies) and habits (for the
      habit_records policies): ACCESS SHARE while the policy expressions are
      parsed (already covered by the ACCESS EXCLUSIVE above).
    If any lock is not granted within 5s the revision rolls back; retry.

How to verify
    SELECT tablename, count(*) AS policies
      FROM pg_policies
     WHERE schemaname = 'public'
       AND tablename IN ('children', 'weeks', 'habits', 'habit_records',
                         'habit_templates', 'notifications')
     GROUP BY tablename ORDER BY tablename;
    -- expect 6 rows, 4 policies each (24)
    SELECT relname, relrowsecurity FROM pg_class
     WHERE oid IN ('public.children'::regclass, 'public.weeks'::regclass,
                   'public.habits'::regclass, 'public.habit_records'::regclass,
                   'public.habit_templates'::regclass, 'public.notifications'::regclass);
    -- expect relrowsecurity = f for all six (RLS still disabled)

How to roll back
    `make downgrade` (to 0003_shadow_indexes) runs DROP POLICY IF EXISTS for
    the 24 policies, in reverse order (ACCESS EXCLUSIVE on each table until
    COMMIT, milliseconds). RLS was never enabled here, so nothing else changes.
"""
from alembic import op

from migrations.helpers.sql_files import execute


revision = "0004_shadow_rls_policies"
down_revision = "0003_shadow_indexes"
branch_labels = None
depends_on = None


# The six tables' policies, <table>_<command>_policy, 4 each: their SQL is
# migrations/sql/policies/public.<table>@0004.sql.
TABLES = ("children", "weeks", "habits", "habit_records", "habit_templates", "notifications")
COMMANDS = ("SELECT", "INSERT", "UPDATE", "DELETE")


def _policy_name(table: str, command: str) -> str:
    return f"{table}_{command.lower()}_policy"


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")

    for table in TABLES:
        execute(f"policies/public.{table}", "0004")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")

    for table in reversed(TABLES):
        for command in reversed(COMMANDS):
            op.execute(f"DROP POLICY IF EXISTS {_policy_name(table, command)} ON {table}")
