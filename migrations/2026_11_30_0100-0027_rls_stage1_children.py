"""Phase 2, RLS stage 1 of 4: children, habit_templates and notifications enforce their policies, and the app may read them

Revision: 0027_rls_stage1_children
Revises: 0026_placed_conflicts_hash
Created: 2026-11-30 01:00:00

What and why
    Phase 2 moves the app's reads onto the new tables. The API roles can read nothing of them
    today (0019 took every privilege away while RLS was off); reads may only be opened where
    row-level security already filters them, one table group at a time, in the original
    plan's order: (children, habit_templates, notifications), then weeks, then habits, then
    habit_records, with an hour of watching after each (docs/RUNBOOK.md). The original team
    did neither: it opened every table at once and enabled RLS only after finding every
    family's data readable, never on habit_templates and notifications (JOURNEY_FACTS).

    This stage, in one transaction, enables RLS on the three tables, then grants `authenticated`
    the commands their policies (0004, fixed in 0015 and 0025) are written for:
    - children: SELECT only. Its rows are derived from the legacy rows and written by the
      dual-write path as postgres; until Phase 3 freezes habit_tracker, every write of a child,
      week, habit or record goes through the endpoint or the legacy table, so that the sync
      keeps the two schemas equal. A direct write through PostgREST would be drift, and the
      next sync of that child-week would overwrite it. The write policies stay defined for the
      day the new tables are the only ones.
    - habit_templates and notifications: SELECT, INSERT, UPDATE, DELETE. They have no legacy
      counterpart (nothing syncs them), so the app writes them directly, as its policies allow:
      a template of one's own (for one's own child or none), a notification sent as oneself,
      read and marked read by its recipient.
    Nothing to anon or service_role, and never TRUNCATE, REFERENCES or TRIGGER, which RLS does
    not filter.

    Gate: `GATE = "phase2"`. `make upgrade` first runs scripts/db/gates.py's phase2 gate (drift
    clean, nothing stranded, queue drained, no sync failures) and refuses this revision,
    with the failing lines and nothing applied, while any line fails.

    Everything of the migration itself keeps running as postgres, which on Supabase has
    BYPASSRLS and owns the tables: the endpoint, the trigger's drain, backfill, drift, resync
    (tests/test_rls_stages.py runs each at every stage).

Locks taken, and for how long
    ALTER TABLE ... ENABLE ROW LEVEL SECURITY needs ACCESS EXCLUSIVE on its table for a catalog
    update (milliseconds; tests/test_rls_stages.py reads the lock mode from pg_locks). While such
    a request waits for a running statement on the table, every later statement on it, the
    app's reads included, queues behind it. So the revision first takes the three locks itself
    (migrations/helpers/lock_retry.py): one LOCK TABLE with lock_timeout 200 ms per attempt; on
    55P03 it lets go, sleeps (0.2 s doubling to 3.2 s) while the queued reads run, and tries
    again, 12 attempts (about 30 s) in all, then stops with 55P03 and nothing applied: run it
    again at a quieter moment. The app's statements queue at most 200 ms at a time. Once held,
    the locks last until the commit (milliseconds: three catalog updates and three GRANTs, which
    lock no table). Timeouts: lock_timeout '2s' for the rest, statement_timeout '60s'.

How to verify
    `make verify`: "rls stage: stage 1 of 4 reached: RLS on children, habit_templates,
    notifications; off on weeks, habits, habit_records"; "privileges" lists exactly what
    authenticated holds now. By hand, as a user (claims set): SELECT count(*) FROM children
    returns the caller's children only; as anon every statement is refused with 42501.
    tests/test_rls_stages.py: two users and anon against every table at this stage.

How to roll back
    `make rollback` (to 0026) revokes the three grants, then disables RLS on the three tables,
    in one transaction: the app can no longer read them (its reads must be back on the legacy
    table first: `make cutover PERCENT=0` once the read switch exists). Nothing else changes
    and no data is touched; 0026's verify then passes.
"""
from alembic import op

from migrations.helpers.lock_retry import lock_access_exclusive

revision = "0027_rls_stage1_children"
down_revision = "0026_placed_conflicts_hash"
branch_labels = None
depends_on = None

# Refused by `make upgrade` while scripts/db/gates.py's phase2 gate fails.
GATE = "phase2"


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    lock_access_exclusive("public.children", "public.habit_templates", "public.notifications")
    # RLS first, then the grants: no moment exists where a grant is not filtered.
    op.execute("ALTER TABLE public.children ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.habit_templates ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.notifications ENABLE ROW LEVEL SECURITY")
    op.execute("GRANT SELECT ON TABLE public.children TO authenticated")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.habit_templates TO authenticated")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.notifications TO authenticated")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    lock_access_exclusive("public.children", "public.habit_templates", "public.notifications")
    op.execute("REVOKE SELECT ON TABLE public.children FROM authenticated")
    op.execute("REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLE public.habit_templates FROM authenticated")
    op.execute("REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLE public.notifications FROM authenticated")
    op.execute("ALTER TABLE public.children DISABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.habit_templates DISABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.notifications DISABLE ROW LEVEL SECURITY")
