"""habit_records gains user_id, the owner of the record's week, kept by triggers (filled by 0034)

Revision: 0033_records_owner_column
Revises: 0032_read_switch
Created: 2026-11-30 03:30:00

What and why
    Issue #20, point 7: the app's week read through week_as_legacy() must cost at most twice the
    legacy row's read at 1000x the data. Measured at 0032 it cost 3.1x (perf-baseline) and
    2.4x (the same call interleaved with the legacy read): habit_records_select_policy
    (0015's form) computes, once per statement, the ids of every habit of the caller (221 for the
    median user at 1000x) and then probes each of the week's habits' records with that array as
    an index condition. A record that carries its owner needs neither: the policy becomes
    `(SELECT auth.uid()) = user_id`, the form children and weeks already have, one comparison per
    fetched row. With it the same interleaved measurement gave 1.47x.

    Three steps, so that no step both writes every record and holds a lock for it:
    - 0033 (this): the column, NULL for the records already there, and the triggers that keep it
      right for every record written from now on.
    - 0034: fills the existing records in short batches, then a validated CHECK (user_id IS NOT
      NULL) and an index on user_id built CONCURRENTLY.
    - 0035: the four habit_records policies read user_id.

    One source of truth: the owner is the week's user_id. migration.fill_record_owner() (BEFORE
    INSERT OR UPDATE OF habit_id, user_id ON habit_records) sets NEW.user_id from the habit's
    week on every write that names either column, whatever the writer put there: the column
    cannot be set to anything else. Two AFTER triggers follow the owner when it moves:
    carry_habits_owner_to_records (a habit's week_id changed) and carry_weeks_owner_to_records (a
    week's user_id changed); place_child_weeks() upserts both columns and takes these paths when a
    sync moves them. fill_record_owner() is SECURITY DEFINER (search_path pinned to ''; it
    reads a habit and a week by primary key and writes nothing but the row in hand), so the owner
    is the real one whoever writes: when the app may write records (Phase 3), a record on another
    family's habit gets that family as owner and the policy's WITH CHECK refuses it with 42501,
    like any RLS refusal. A habit_id that names no habit is refused with 23503, as the foreign key
    would. The carry functions are SECURITY INVOKER: they update the records of the row the
    caller just changed, under the caller's own rights.

    Cost: every record written pays one lookup of its habit and week by primary key (backfill,
    sync, endpoint); `make bench-backfill` measures it.

Locks taken, and for how long
    ADD COLUMN (nullable, no default: catalog only, no rewrite) needs ACCESS EXCLUSIVE on
    habit_records; CREATE TRIGGER needs SHARE ROW EXCLUSIVE on habits and weeks. All three are
    taken first, in the order the sync writes them (weeks, habits, habit_records: no deadlock
    with a running sync), by migrations/helpers/lock_retry.py: 200 ms per attempt, up to 12
    attempts with backoff, then 55P03 with nothing applied. Held until the commit, milliseconds.
    Timeouts: lock_timeout '2s' for the rest, statement_timeout '60s'.

How to verify
    `make verify`: "records owner: column habit_records.user_id, 3 triggers keep it ..." (with
    0034: the records whose owner is missing or differs from their week's, 0 of N).
    tests/test_records_owner.py: every write path (insert, habit moved, week given away, the
    column set by hand) leaves user_id equal to the week's owner.

How to roll back
    `make rollback` (to 0032_read_switch) drops the three triggers, their functions and the
    column, in one transaction under the same locks. The column is derived from weeks and
    habits: nothing is lost. 0034's and 0035's downgrades run first.
"""
from alembic import op

from migrations.helpers.lock_retry import lock_access_exclusive
from migrations.helpers.sql_files import execute

revision = "0033_records_owner_column"
down_revision = "0032_read_switch"
branch_labels = None
depends_on = None

TRIGGERS = (
    ("public.habit_records.fill_habit_records_user_id", "migration.fill_record_owner"),
    ("public.habits.carry_habits_owner_to_records", "migration.carry_habit_owner"),
    ("public.weeks.carry_weeks_owner_to_records", "migration.carry_week_owner"),
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    lock_access_exclusive("public.weeks", "public.habits", "public.habit_records")
    op.execute("ALTER TABLE public.habit_records ADD COLUMN user_id UUID")
    op.execute("COMMENT ON COLUMN public.habit_records.user_id IS "
               "'The owner of the record''s week, set by trigger fill_habit_records_user_id (0033); what the RLS policies compare'")
    for trigger, function in TRIGGERS:
        execute(f"functions/{function}", "0033")
        execute(f"triggers/{trigger}", "0033")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    lock_access_exclusive("public.weeks", "public.habits", "public.habit_records")
    for trigger, function in reversed(TRIGGERS):
        schema, table, name = trigger.split(".")
        op.execute(f"DROP TRIGGER {name} ON {schema}.{table}")
        op.execute(f"DROP FUNCTION {function}()")
    op.execute("-- squawk-ignore ban-drop-column\nALTER TABLE public.habit_records DROP COLUMN user_id")
