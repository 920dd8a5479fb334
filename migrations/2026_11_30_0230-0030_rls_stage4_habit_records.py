"""Phase 2, RLS stage 4 of 4: habit_records enforces its policies, and the app may read it: RLS is on everywhere

Revision: 0030_rls_stage4_habit_records
Revises: 0029_rls_stage3_habits
Created: 2026-11-30 02:30:00

What and why
    The last of the four stages, after stage 3 has been watched for an hour
    (docs/RUNBOOK.md). In one transaction it enables RLS on habit_records, then grants
    `authenticated` SELECT on it. habit_records_select_policy admits the records of the
    caller's habits (0015's form: `habit_id = ANY (ARRAY(SELECT h.id FROM habits h JOIN weeks
    w ON h.week_id = w.id WHERE w.user_id = (SELECT auth.uid())))`, one InitPlan per statement,
    then the unique (habit_id, record_date) index); it reads habits and weeks as the caller,
    both filtered since stages 2 and 3. SELECT only: until Phase 3 records are written by the
    dual-write path as postgres. Nothing to anon or service_role.

    After it every one of the six new tables has RLS on, and `authenticated` holds on each
    only what its policies filter. The read function (0031) and the per-user read switch
    (0032) build on this.

    Gate: `GATE = "phase2"`. `make upgrade` first runs scripts/db/gates.py's phase2 gate (drift
    clean, nothing stranded, queue drained, no sync failures) and refuses this revision,
    with the failing lines and nothing applied, while any line fails.

    The migration's own work keeps running as postgres (BYPASSRLS on Supabase, and the
    tables' owner): the endpoint, the trigger's drain, backfill, drift, resync
    (tests/test_rls_stages.py runs each at every stage).

Locks taken, and for how long
    ALTER TABLE habit_records ENABLE ROW LEVEL SECURITY needs ACCESS EXCLUSIVE on habit_records for a
    catalog update (milliseconds). While such a request waits for a running statement, later
    statements on habit_records, the app's reads included, queue behind it. So the revision first takes
    the lock itself (migrations/helpers/lock_retry.py): lock_timeout 200 ms per attempt; on 55P03
    it lets go, sleeps (0.2 s doubling to 3.2 s) and tries again, 12 attempts (about 30 s), then
    stops with 55P03 and nothing applied. The app's statements queue at most 200 ms at a time;
    once held, the lock lasts until the commit (milliseconds). GRANT locks no table. Timeouts:
    lock_timeout '2s' for the rest, statement_timeout '60s'.

How to verify
    `make verify`: "rls stage: stage 4 of 4 reached: RLS on children, habit_templates, notifications, weeks, habits, habit_records"; "privileges" lists
    exactly what authenticated holds now. By hand, as a user (claims set): SELECT on habit_records
    returns the records of the caller's habits only; as anon every statement is refused with 42501.
    tests/test_rls_stages.py: two users and anon against every table at this stage.

How to roll back
    `make rollback` (to 0029_rls_stage3_habits) revokes the grant, then disables RLS on habit_records, in one
    transaction: the app can no longer read habit_records (its reads must be back on the legacy
    table first). Nothing else changes and no data is touched; 0029_rls_stage3_habits's verify then passes.
"""
from alembic import op

from migrations.helpers.lock_retry import lock_access_exclusive

revision = "0030_rls_stage4_habit_records"
down_revision = "0029_rls_stage3_habits"
branch_labels = None
depends_on = None

# Refused by `make upgrade` while scripts/db/gates.py's phase2 gate fails.
GATE = "phase2"


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    lock_access_exclusive("public.habit_records")
    # RLS first, then the grant: no moment exists where the grant is not filtered.
    op.execute("ALTER TABLE public.habit_records ENABLE ROW LEVEL SECURITY")
    op.execute("GRANT SELECT ON TABLE public.habit_records TO authenticated")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    lock_access_exclusive("public.habit_records")
    op.execute("REVOKE SELECT ON TABLE public.habit_records FROM authenticated")
    op.execute("ALTER TABLE public.habit_records DISABLE ROW LEVEL SECURITY")
