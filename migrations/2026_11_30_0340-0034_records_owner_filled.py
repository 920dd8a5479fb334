"""Every habit_record carries its owner: fill user_id in short batches, then require it and index it

Revision: 0034_records_owner_filled
Revises: 0033_records_owner_column
Created: 2026-11-30 03:40:00

What and why
    0033 added habit_records.user_id and the triggers that set it on every write since. This
    revision gives the records written before 0033 their owner, then makes the column something
    a policy can rely on (0035):
    1. Fill, outside the revision's transaction: one DO block walks habit_records by primary
       key in batches of 5,000 and sets user_id from the habit's week where it differs, and
       COMMITs after each batch (a DO block may at top level). So no transaction holds more
       than 5,000 row locks, or for more than a batch's time, and the work done survives an
       interruption: run `make upgrade` again and it goes on (rows already right are not
       written again). The update names user_id, so fill_record_owner() computes the same value
       again: the trigger stays the one definition of the owner. Records the app or the sync
       write meanwhile get theirs from the trigger. Every updated record's updated_at becomes
       the fill's time, as any sync write sets it; nothing compares it (drift's fingerprint,
       read parity and week_as_legacy() leave it out). Each batch is a new row version of its
       records: autovacuum reclaims the old ones. At the end it counts the records still
       without an owner and stops, naming them, if there is one.
    2. CHECK (user_id IS NOT NULL) added NOT VALID (new rows checked at once), then VALIDATEd
       (migrations/helpers/validation_steps.py: a preflight count, then VALIDATE).
    3. ix_habit_records_user_id on (user_id), built CONCURRENTLY
       (migrations/helpers/concurrent_index.py): the index the policy `(SELECT auth.uid()) =
       user_id` is served by when a query reads the caller's records without naming habits
       (the app's status counts).

Locks taken, and for how long
    - Fill: ROW EXCLUSIVE on habit_records, and the row locks of one batch at a time, each batch
      its own transaction (at 34,000 legacy weeks about 450,000 records, 90 batches). A row a
      running sync holds is waited for up to lock_timeout 5s; statement_timeout 30min for the
      whole fill. If it fails (a timeout, a deadlock with a sync), what was committed stays and
      the upgrade can simply run again.
    - ADD CONSTRAINT ... NOT VALID: ACCESS EXCLUSIVE on habit_records for a catalog update, taken
      by migrations/helpers/lock_retry.py (200 ms attempts with backoff, the app's reads queue at
      most 200 ms), milliseconds.
    - VALIDATE CONSTRAINT: SHARE UPDATE EXCLUSIVE (reads and writes go on) for one scan of the
      table; lock_timeout 5s, statement_timeout 30min.
    - CREATE INDEX CONCURRENTLY: SHARE UPDATE EXCLUSIVE, reads and writes go on; lock_timeout
      30s, statement_timeout 30min.

How to verify
    `make verify`: "records owner: ... 0 of N records without their week's owner; CHECK
    ck_habit_records_user_id_present validated; ix_habit_records_user_id valid". By hand:
        SELECT count(*) FROM habit_records r JOIN habits h ON h.id = r.habit_id
        JOIN weeks w ON w.id = h.week_id WHERE r.user_id IS DISTINCT FROM w.user_id;  -- 0

How to roll back
    `make rollback` (to 0033_records_owner_column) drops the index CONCURRENTLY and the
    constraint (ACCESS EXCLUSIVE via lock_retry, milliseconds). The filled values stay: they are
    the owners 0033's triggers would have written, and 0033's verify accepts a record with its
    owner or with none. Writing NULL back into every record would rewrite the table to restore
    nothing that any reader uses.
"""
from alembic import op

from migrations.helpers.concurrent_index import create_index_concurrently, drop_index_concurrently
from migrations.helpers.lock_retry import lock_access_exclusive
from migrations.helpers.validation_steps import validate_each

revision = "0034_records_owner_filled"
down_revision = "0033_records_owner_column"
branch_labels = None
depends_on = None

OWNER_PRESENT = (("habit_records", "ck_habit_records_user_id_present", "CHECK (user_id IS NOT NULL)"),)

# Batches by primary key; a record id is never the nil uuid (ids come from md5, 0010, or
# gen_random_uuid()), so the walk starts below every id.
FILL = """\
DO $fill$
DECLARE
    last_id UUID := '00000000-0000-0000-0000-000000000000';
    batch_end UUID;
    missing BIGINT;
    sample TEXT;
BEGIN
    LOOP
        batch_end := (SELECT b.id FROM (SELECT r.id FROM public.habit_records AS r
                                        WHERE r.id > last_id ORDER BY r.id LIMIT 5000) AS b
                      ORDER BY b.id DESC LIMIT 1);
        EXIT WHEN batch_end IS NULL;
        UPDATE public.habit_records AS r
        SET user_id = w.user_id
        FROM public.habits AS h
        INNER JOIN public.weeks AS w ON h.week_id = w.id
        WHERE r.id > last_id AND r.id <= batch_end AND h.id = r.habit_id
            AND r.user_id IS DISTINCT FROM w.user_id;
        last_id := batch_end;
        COMMIT;
    END LOOP;
    SELECT count(*), string_agg(r.id::TEXT, ', ' ORDER BY r.id)
    INTO missing, sample
    FROM (SELECT id FROM public.habit_records WHERE user_id IS NULL ORDER BY id LIMIT 5) AS r;
    IF missing > 0 THEN
        RAISE EXCEPTION 'habit_records still without an owner after the fill (first ids: %); run make upgrade again', sample;
    END IF;
END
$fill$"""


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    with op.get_context().autocommit_block():
        op.execute("SET lock_timeout = '5s'")
        op.execute("SET statement_timeout = '30min'")
        op.execute(FILL)
        op.execute("SET statement_timeout = '60s'")
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    lock_access_exclusive("public.habit_records")
    # Re-runnable: a run stopped after this commit (the VALIDATE below fails) left it NOT VALID.
    # squawk: the constraint dropped is only this revision's own, NOT VALID, re-added at once.
    op.execute("-- squawk-ignore ban-drop-constraint\n"
               "ALTER TABLE public.habit_records DROP CONSTRAINT IF EXISTS ck_habit_records_user_id_present")
    op.execute("ALTER TABLE public.habit_records ADD CONSTRAINT ck_habit_records_user_id_present "
               "CHECK (user_id IS NOT NULL) NOT VALID")
    validate_each(OWNER_PRESENT)
    create_index_concurrently(
        "ix_habit_records_user_id",
        "CREATE INDEX CONCURRENTLY ix_habit_records_user_id ON public.habit_records (user_id)",
        lock_timeout="5s", statement_timeout="60s")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    drop_index_concurrently("ix_habit_records_user_id", lock_timeout="2s", statement_timeout="60s")
    lock_access_exclusive("public.habit_records")
    op.execute("-- squawk-ignore ban-drop-constraint\n"
               "ALTER TABLE public.habit_records DROP CONSTRAINT ck_habit_records_user_id_present")
