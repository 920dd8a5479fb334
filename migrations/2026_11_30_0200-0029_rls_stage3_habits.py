"""Phase 2, RLS stage 3 of 4: habits enforces its policies, and the app may read it

Revision: 0029_rls_stage3_habits
Revises: 0028_rls_stage2_weeks
Created: 2026-11-30 02:00:00

What and why
    The third of the four stages, after stage 2 has been watched for an hour
    (docs/RUNBOOK.md). In one transaction it enables RLS on habits, then grants
    `authenticated` SELECT on it. habits_select_policy admits the habits of the caller's own
    weeks (0015's form: `week_id = ANY (ARRAY(SELECT w.id FROM weeks w WHERE w.user_id =
    (SELECT auth.uid())))`, one InitPlan per statement, then idx_habits_week_id). The policy
    reads weeks as the caller, which is why weeks (stage 2) comes first: with weeks' RLS and
    grant in place, the subquery sees exactly the caller's weeks. SELECT only, as for children
    and weeks: until Phase 3 habits are written by the dual-write path as postgres. Nothing to
    anon or service_role.

    Gate: `GATE = "phase2"`. `make upgrade` first runs scripts/db/gates.py's phase2 gate (drift
    clean, nothing stranded, queue drained, no sync failures) and refuses this revision,
    with the failing lines and nothing applied, while any line fails.

    The migration's own work keeps running as postgres (BYPASSRLS on Supabase, and the
    tables' owner): the endpoint, the trigger's drain, backfill, drift, resync
    (tests/test_rls_stages.py runs each at every stage).

Locks taken, and for how long
    ALTER TABLE habits ENABLE ROW LEVEL SECURITY needs ACCESS EXCLUSIVE on habits for a
    catalog update (milliseconds). While such a request waits for a running statement, later
    statements on habits, the app's reads included, queue behind it. So the revision first takes
    the lock itself (migrations/helpers/lock_retry.py): lock_timeout 200 ms per attempt; on 55P03
    it lets go, sleeps (0.2 s doubling to 3.2 s) and tries again, 12 attempts (about 30 s), then
    stops with 55P03 and nothing applied. The app's statements queue at most 200 ms at a time;
    once held, the lock lasts until the commit (milliseconds). GRANT locks no table. Timeouts:
    lock_timeout '2s' for the rest, statement_timeout '60s'.

How to verify
    `make verify`: "rls stage: stage 3 of 4 reached: RLS on children, habit_templates, notifications, weeks, habits; off on habit_records"; "privileges" lists
    exactly what authenticated holds now. By hand, as a user (claims set): SELECT on habits
    returns the habits of the caller's weeks only; as anon every statement is refused with 42501.
    tests/test_rls_stages.py: two users and anon against every table at this stage.

How to roll back
    `make rollback` (to 0028_rls_stage2_weeks) revokes the grant, then disables RLS on habits, in one
    transaction: the app can no longer read habits (its reads must be back on the legacy
    table first). Nothing else changes and no data is touched; 0028_rls_stage2_weeks's verify then passes.
"""
from alembic import op

from migrations.helpers.lock_retry import lock_access_exclusive

revision = "0029_rls_stage3_habits"
down_revision = "0028_rls_stage2_weeks"
branch_labels = None
depends_on = None

# Refused by `make upgrade` while scripts/db/gates.py's phase2 gate fails.
GATE = "phase2"


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    lock_access_exclusive("public.habits")
    # RLS first, then the grant: no moment exists where the grant is not filtered.
    op.execute("ALTER TABLE public.habits ENABLE ROW LEVEL SECURITY")
    op.execute("GRANT SELECT ON TABLE public.habits TO authenticated")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    lock_access_exclusive("public.habits")
    op.execute("REVOKE SELECT ON TABLE public.habits FROM authenticated")
    op.execute("ALTER TABLE public.habits DISABLE ROW LEVEL SECURITY")
