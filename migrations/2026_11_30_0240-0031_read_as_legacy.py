"""The app's reads from the new tables in the legacy shape: week_as_legacy(), my_children(), child_weeks()

Revision: 0031_read_as_legacy
Revises: 0030_rls_stage4_habit_records
Created: 2026-11-30 02:40:00

What and why
    Phase 2 moves the app's reads from habit_tracker to the new tables (issue #20, point 3). The
    original team rebuilt the legacy week shape in the React app and left two screens on the
    legacy table (JOURNEY_FACTS); here the shape is built once, in the database, and served by
    PostgREST as RPCs under the caller's RLS. Four functions in public, each SECURITY INVOKER
    (the caller's RLS applies: only their own children, weeks, habits, records), STABLE,
    search_path pinned to '' (every name qualified), executable by `authenticated` only
    (EXECUTE revoked from PUBLIC, anon and service_role, which Supabase's default privileges
    give it):
    - week_as_legacy(child_name TEXT, week_start DATE) RETURNS JSONB: the caller's child's
      Monday week exactly as the app reads a habit_tracker row: the keys child_name,
      week_period (`2025년 7월 21일 ~ 2025년 7월 27일`), theme, habits, reflection, reward,
      week_start_date ("YYYY-MM-DD"). habits is [{id, name, times[7]}] by display_order;
      times[i] is the status of the record on week_start + i as stored ('none' included: legacy
      rows hold it and the mapping keeps it), '' where there is none. id is the new habit's
      uuid (a string; the legacy number has no counterpart after a merge): the dual-write endpoint names a habit by child, week and
      habit name (update_habit_record's habit_name), so the front end updates through it with
      the name it shows, and uses id as a stable key only. NULL when the caller has no child of
      that name or it has no week on that Monday (anon: no EXECUTE, 42501). A week_start that is
      not a Monday raises SQLSTATE 22023 (invalid_parameter_value) naming the Monday of its
      week in the HINT: it is not moved, because a legacy Sunday start is a Korean Monday stored
      through UTC and the week holding it is the one before the one the app meant.
    - my_children() RETURNS TABLE (child_name, week_count, latest_week_start): the caller's
      children by name.
    - child_weeks(child_name TEXT) RETURNS TABLE (week_start_date, week_period): the child's
      Mondays, newest first, with their labels.
    - week_period_label(monday DATE) RETURNS TEXT, IMMUTABLE: the label, used by the two above.
    No view. Each function names the caller's user_id in its WHERE as well (RLS enforces it
    anyway): the owner, with BYPASSRLS, calling without claims gets nothing. The planner
    serves every lookup by index (at 10,000 generated weeks: idx_children_user_name,
    idx_weeks_child_date, idx_habits_week_id, idx_habit_records_habit_status; the policies'
    InitPlans idx_weeks_user_date and idx_habits_week_id). No index is added. `make read-parity` proves the
    answers equal the legacy rows, day by day; `make perf-baseline` times them against the
    legacy read.

    Privileges: "privileges" (0019's check) is declared again with the full list at this
    revision: stage 4's (0030: 0019's and the stages' SELECT and commands for authenticated)
    plus EXECUTE for authenticated on the four functions. Needs the stages below it: the
    functions read the four tables as the caller, which holds SELECT on them from 0030 on.

Locks taken, and for how long
    CREATE FUNCTION, COMMENT, REVOKE and GRANT on new functions only: catalog rows, no lock on
    any table. Timeouts: lock_timeout '5s', statement_timeout '60s'.

How to verify
    SELECT p.proname, p.prosecdef, p.provolatile, p.proconfig, p.proacl FROM pg_proc AS p
        WHERE p.pronamespace = 'public'::REGNAMESPACE
          AND p.proname IN ('week_as_legacy', 'my_children', 'child_weeks', 'week_period_label');
        -- four, prosecdef false, proconfig {search_path=""}, EXECUTE for postgres and authenticated only
    `make verify` (read functions: 4/4, invoker, search_path pinned, authenticated only;
    privileges: exactly the app's); `make read-parity`: 0 differences.

How to roll back
    `make downgrade` (to the revision below) drops the four functions. No data changes; an app
    still calling them gets 404 from PostgREST (the read switch of 0032 sends nobody to them
    at PERCENT=0, its rollback).
"""
from alembic import op

from migrations.helpers.sql_files import execute

revision = "0031_read_as_legacy"
down_revision = "0030_rls_stage4_habit_records"
branch_labels = None
depends_on = None

# Created in this order: the label first, the SQL-language child_weeks() reads it at creation.
FUNCTIONS = ("public.week_period_label", "public.week_as_legacy", "public.my_children", "public.child_weeks")
SIGNATURES = ("public.child_weeks(TEXT)", "public.my_children()", "public.week_as_legacy(TEXT, DATE)",
              "public.week_period_label(DATE)")


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for name in FUNCTIONS:
        execute(f"functions/{name}", "0031")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for signature in SIGNATURES:
        op.execute(f"DROP FUNCTION {signature}")
