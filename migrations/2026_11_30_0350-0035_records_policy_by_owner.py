"""habit_records' four policies compare the record's own user_id, as children's and weeks' do

Revision: 0035_records_policy_by_owner
Revises: 0034_records_owner_filled
Created: 2026-11-30 03:50:00

What and why
    The last of three steps (0033, 0034) for issue #20, point 7. Each habit_records policy
    becomes `(SELECT auth.uid()) = user_id`: one InitPlan for the caller's id and one comparison
    per row, instead of 0015's array of every habit id the caller owns (hundreds at 1000x),
    rebuilt for each statement and walked for each probe of the unique (habit_id, record_date)
    index. week_as_legacy() still finds a week's records by that index; the policy now only
    filters the rows it fetched. A read of all the caller's records (the status counts) is
    served by ix_habit_records_user_id (0034).

    Why it is as safe as 0015's form: user_id is always the owner of the record's habit's week.
    fill_record_owner() (0033) computes it on every insert or update naming habit_id or user_id,
    whatever the writer sent; the two carry triggers follow a habit or week that changes owner;
    CHECK ck_habit_records_user_id_present (0034) refuses a record without one. For the app's
    writes (Phase 3; today `authenticated` holds SELECT only) the trigger reads the habit with
    its owner's rights (SECURITY DEFINER), so a record on another family's habit carries that
    family's id and the policy's WITH CHECK refuses it (42501), whatever owner the app sent
    (tests/test_records_owner.py).

Locks taken, and for how long
    ALTER POLICY needs ACCESS EXCLUSIVE on habit_records, taken first by
    migrations/helpers/lock_retry.py (200 ms attempts with backoff; the app's reads queue at
    most 200 ms), then held for the four catalog updates until the commit: milliseconds.
    lock_timeout '2s', statement_timeout '60s'.

How to verify
    `make verify`: "rls policies: ... habit_records' 4 by owner (user_id)". `make perf-baseline`:
    week_as_legacy() against the legacy row at 1000x (goal at most 2x; docs/benchmarks.md).
    tests/test_rls_stages.py and tests/test_records_owner.py: two users and anon see exactly what
    they did.

How to roll back
    `make rollback` (to 0034_records_owner_filled) puts 0015's four policies back
    (policies/public.habit_records@0015.sql as ALTER POLICY), under the same locks. The column,
    its constraint and index stay (0034's).
"""
from alembic import op

from migrations.helpers.lock_retry import lock_access_exclusive
from migrations.helpers.sql_files import execute

revision = "0035_records_policy_by_owner"
down_revision = "0034_records_owner_filled"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    lock_access_exclusive("public.habit_records")
    execute("policies/public.habit_records", "0035")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    lock_access_exclusive("public.habit_records")
    execute("policies/public.habit_records", "0015", restoring=True)
