"""Phase 2, RLS stage 2 of 4: weeks enforces its policies, and the app may read it

Revision: 0028_rls_stage2_weeks
Revises: 0027_rls_stage1_children
Created: 2026-11-30 01:30:00

What and why
    The second of the four stages (the plan's order: children, habit_templates and
    notifications; then weeks; then habits; then habit_records), after stage 1 has been
    watched for an hour (docs/RUNBOOK.md). In one transaction it enables RLS on weeks, then
    grants `authenticated` SELECT on it. weeks_select_policy admits the caller's own weeks
    (`(SELECT auth.uid()) = user_id`, served by idx_weeks_user_id / the (user_id, ...) indexes).
    SELECT only, as for children (0027): weeks are derived from the legacy rows and written by
    the dual-write path as postgres until Phase 3; a direct write through PostgREST would be
    drift that the next sync of that child-week overwrites. The write policies (own child
    checked since 0025) stay defined for then. Nothing to anon or service_role.

    Gate: `GATE = "phase2"`. `make upgrade` first runs scripts/db/gates.py's phase2 gate (drift
    clean, nothing stranded, queue drained, no sync failures) and refuses this revision,
    with the failing lines and nothing applied, while any line fails.

    The migration's own work keeps running as postgres (BYPASSRLS on Supabase, and the
    tables' owner): the endpoint, the trigger's drain, backfill, drift, resync
    (tests/test_rls_stages.py runs each at every stage).

Locks taken, and for how long
    ALTER TABLE weeks ENABLE ROW LEVEL SECURITY needs ACCESS EXCLUSIVE on weeks for a
    catalog update (milliseconds). While such a request waits for a running statement, later
    statements on weeks, the app's reads included, queue behind it. So the revision first takes
    the lock itself (migrations/helpers/lock_retry.py): lock_timeout 200 ms per attempt; on 55P03
    it lets go, sleeps (0.2 s doubling to 3.2 s) and tries again, 12 attempts (about 30 s), then
    stops with 55P03 and nothing applied. The app's statements queue at most 200 ms at a time;
    once held, the lock lasts until the commit (milliseconds). GRANT locks no table. Timeouts:
    lock_timeout '2s' for the rest, statement_timeout '60s'.

How to verify
    `make verify`: "rls stage: stage 2 of 4 reached: RLS on children, habit_templates, notifications, weeks; off on habits, habit_records"; "privileges" lists
    exactly what authenticated holds now. By hand, as a user (claims set): SELECT on weeks
    returns the caller's weeks only; as anon every statement is refused with 42501.
    tests/test_rls_stages.py: two users and anon against every table at this stage.

How to roll back
    `make rollback` (to 0027_rls_stage1_children) revokes the grant, then disables RLS on weeks, in one
    transaction: the app can no longer read weeks (its reads must be back on the legacy
    table first). Nothing else changes and no data is touched; 0027_rls_stage1_children's verify then passes.
"""
from alembic import op

from migrations.helpers.lock_retry import lock_access_exclusive

revision = "0028_rls_stage2_weeks"
down_revision = "0027_rls_stage1_children"
branch_labels = None
depends_on = None

# Refused by `make upgrade` while scripts/db/gates.py's phase2 gate fails.
GATE = "phase2"


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    lock_access_exclusive("public.weeks")
    # RLS first, then the grant: no moment exists where the grant is not filtered.
    op.execute("ALTER TABLE public.weeks ENABLE ROW LEVEL SECURITY")
    op.execute("GRANT SELECT ON TABLE public.weeks TO authenticated")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    lock_access_exclusive("public.weeks")
    op.execute("REVOKE SELECT ON TABLE public.weeks FROM authenticated")
    op.execute("ALTER TABLE public.weeks DISABLE ROW LEVEL SECURITY")
