"""Phase 3: habit_tracker becomes habit_tracker_old, closed to every API role, its status recorded

Revision: 0039_rename_legacy
Revises: 0038_freeze_legacy
Created: 2026-11-30 04:30:00

What and why
    After the freeze (0038) nothing writes the legacy table and, by the contract gate, nothing of
    the app reads it. The rename proves the second part for good: anything that still names
    `habit_tracker` now fails loudly (42P01, relation "habit_tracker" does not exist) instead of
    reading stale rows, which is how the original team's forgotten screens would have shown
    (JOURNEY_FACTS). The table is kept, read-only, for the retention period (0040 drops it after
    an archive).

    In one transaction:
    - the table, its sequence, its constraints (primary key, unique, foreign key: each renames
      its index with it; on PostgreSQL 18 also its named NOT NULL constraints), its other five indexes and its three triggers (the updated_at
      trigger, 0020's TRUNCATE guard, 0038's freeze) take the `habit_tracker_old` name
      (`..._old_...`), so that every object of the table says what it is; the freeze trigger
      keeps refusing every write, now as "habit_tracker_old is frozen";
    - the policy "Users can only access their own data" is dropped and every privilege of anon,
      authenticated and service_role on the table and its sequence revoked: the app has no
      business with it any more; the owner (postgres) keeps reading it. RLS stays enabled, so
      a grant given by mistake still shows no row.
    - the status of the retired table is recorded in migration.retired_legacy_table (one row):
      when, by whom, its rows, weeks, children, filled days and content checksum
      (migration.table_checksum(), 0037: the archive's and the drop's own definition). `make
      report` and `make verify` show it; the drop (0040) counts its retention from renamed_at.

    Views of schema migration that read the table (the mapping's expected_* views,
    legacy_day_accounts, unresolved_legacy_rows, and 0038's live_legacy_rows, by which the
    frozen endpoint names a week) follow it: PostgreSQL binds a view to the table, not its
    name. `make verify`'s filled-days line keeps reading the retired rows.

    PL/pgSQL resolves the names in a function's body when it runs, so the three endpoint
    functions that name the table, its row type or its sequence (migration.frozen_find_week,
    frozen_create_week, frozen_update_habit_record) are replaced by versions naming
    habit_tracker_old (functions/...@0039.sql: the name is the only change). The endpoint's
    HTTP contract does not change. The other functions naming public.habit_tracker serve the
    sync, the quarantine and the dual-write endpoint, all retired by 0038: they fail if called
    (42P01), which is what anything still reading the old name should do.

    The table must be frozen: under the lock the revision checks 0038's trigger is there and
    enabled, and stops (55000, nothing applied) if someone disabled it. Gate: `GATE =
    "contract"` (`make contract-check`).

Locks taken, and for how long
    ALTER TABLE ... RENAME needs ACCESS EXCLUSIVE on habit_tracker. While it waits, every later
    statement on the table queues behind it, so the revision first takes the lock itself
    (migrations/helpers/lock_retry.py): 200 ms per attempt, backoff 0.2 s to 3.2 s, 12 attempts
    (about 30 s), then 55P03 with nothing applied; a reader holding the table for longer is
    found in pg_stat_activity. Held until the commit: the renames are catalog updates
    (milliseconds); the status row reads the table once (the checksum: about a second at
    34,000 rows), the reads of the app's new tables are not involved. lock_timeout '2s' for
    the rest, statement_timeout '120s'.

How to verify
    `make verify`: "legacy retired: habit_tracker_old (N rows, W weeks, C children, F filled
    days, checksum ... as recorded at the rename); habit_tracker absent; no API privilege". By
    hand: `SELECT * FROM habit_tracker LIMIT 1` fails with 42P01; `SELECT * FROM
    migration.retired_legacy_table`.

How to roll back
    `make rollback` (to 0038_freeze_legacy) renames every object back, restores the policy and
    0038's grants (SELECT for authenticated), and deletes the status row, under the same lock
    taken the same way, and puts 0038's endpoint functions back (functions/...@0038.sql). The
    table stays frozen (0038's rollback re-opens it). `make verify` after it: "legacy freeze"
    and "tables" as at 0038.
"""
from alembic import op

from migrations.helpers.lock_retry import lock_access_exclusive
from migrations.helpers.sql_files import execute

revision = "0039_rename_legacy"
down_revision = "0038_freeze_legacy"
branch_labels = None
depends_on = None

# Refused by `make upgrade` while scripts/db/gates.py's contract gate fails.
GATE = "contract"

CONSTRAINTS = ("habit_tracker_pkey", "habit_tracker_child_week_unique", "fk_habit_tracker_user_id")
INDEXES = ("idx_habit_tracker_child_name", "idx_habit_tracker_updated_at", "idx_habit_tracker_child_week",
           "idx_habit_tracker_user_id", "idx_habit_tracker_user_child_week")
TRIGGERS = ("update_habit_tracker_updated_at", "trigger_habit_tracker_refuse_truncate", "trigger_habit_tracker_frozen")
# The frozen endpoint's functions that name the table, its row type or its sequence in their
# bodies (PL/pgSQL resolves those names when it runs, not when it is created).
FUNCTIONS = ("frozen_find_week", "frozen_create_week", "frozen_update_habit_record")
POLICY = '"Users can only access their own data"'


# squawk warns that a rename breaks clients naming the object: here that is the point (42P01
# for anything still reading habit_tracker), and the app names none of these objects.
RENAMING = "-- squawk-ignore renaming-object\n"
RENAMING_TABLE = "-- squawk-ignore renaming-table\n"


def old_name(name: str) -> str:
    return name.replace("habit_tracker", "habit_tracker_old", 1)


RECORD_STATUS = """\
INSERT INTO migration.retired_legacy_table (legacy_rows, legacy_weeks, children, filled_days, checksum)
SELECT
    (SELECT count(*) FROM public.habit_tracker_old) AS legacy_rows,
    (SELECT count(*) FROM (SELECT DISTINCT h.user_id, h.child_name, h.week_start_date
                           FROM public.habit_tracker_old AS h) AS w) AS legacy_weeks,
    (SELECT count(*) FROM (SELECT DISTINCT h.user_id, h.child_name FROM public.habit_tracker_old AS h) AS c) AS children,
    (SELECT count(d.record_date) FROM public.habit_tracker_old AS h
        CROSS JOIN LATERAL migration.filled_days(h) AS d) AS filled_days,
    migration.table_checksum('public.habit_tracker_old'::REGCLASS) AS checksum"""


# PostgreSQL 18 keeps each NOT NULL as a named constraint (habit_tracker_<column>_not_null); 15
# and 17 have none (pg_constraint.contype 'n' is new in 18). Renamed with the others where present.
RENAME_NOT_NULL = """DO $$
DECLARE
    named RECORD;
BEGIN
    FOR named IN
        SELECT c.conname FROM pg_constraint AS c
        WHERE c.conrelid = 'public.habit_tracker_old'::REGCLASS AND c.contype = 'n'
            AND c.conname LIKE 'habit\\_tracker\\_%' AND c.conname NOT LIKE 'habit\\_tracker\\_old\\_%'
    LOOP
        EXECUTE format('ALTER TABLE public.habit_tracker_old RENAME CONSTRAINT %I TO %I',
                       named.conname, 'habit_tracker_old' || substr(named.conname, length('habit_tracker') + 1));
    END LOOP;
END
$$"""
RENAME_NOT_NULL_BACK = """DO $$
DECLARE
    named RECORD;
BEGIN
    FOR named IN
        SELECT c.conname FROM pg_constraint AS c
        WHERE c.conrelid = 'public.habit_tracker_old'::REGCLASS AND c.contype = 'n'
            AND c.conname LIKE 'habit\\_tracker\\_old\\_%'
    LOOP
        EXECUTE format('ALTER TABLE public.habit_tracker_old RENAME CONSTRAINT %I TO %I',
                       named.conname, 'habit_tracker' || substr(named.conname, length('habit_tracker_old') + 1));
    END LOOP;
END
$$"""


# Under the lock: the rename retires a frozen table only (0038's trigger there and enabled).
REFUSE_UNFROZEN = """DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger
                   WHERE tgrelid = 'public.habit_tracker'::REGCLASS AND tgname = 'trigger_habit_tracker_frozen'
                       AND tgenabled <> 'D') THEN
        RAISE EXCEPTION 'habit_tracker is not frozen (trigger_habit_tracker_frozen missing or disabled): not renamed'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'ALTER TABLE public.habit_tracker ENABLE TRIGGER trigger_habit_tracker_frozen, then check make drift.';
    END IF;
END
$$"""


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '120s'")
    lock_access_exclusive("public.habit_tracker")
    op.execute(REFUSE_UNFROZEN)
    op.execute("""CREATE TABLE migration.retired_legacy_table (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE,
    renamed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    renamed_by TEXT NOT NULL DEFAULT current_user,
    legacy_rows BIGINT NOT NULL,
    legacy_weeks BIGINT NOT NULL,
    children BIGINT NOT NULL,
    filled_days BIGINT NOT NULL,
    checksum TEXT NOT NULL,
    CONSTRAINT ck_retired_legacy_table_one_row CHECK (singleton)
)""")
    op.execute("""COMMENT ON TABLE migration.retired_legacy_table IS
    'The legacy table as it was renamed to habit_tracker_old (0039): its figures and content checksum; 0040 counts the retention from renamed_at'""")
    op.execute(RENAMING_TABLE + "ALTER TABLE public.habit_tracker RENAME TO habit_tracker_old")
    op.execute(RENAMING + "ALTER SEQUENCE public.habit_tracker_id_seq RENAME TO habit_tracker_old_id_seq")
    for name in CONSTRAINTS:
        op.execute(RENAMING + f"ALTER TABLE public.habit_tracker_old RENAME CONSTRAINT {name} TO {old_name(name)}")
    op.execute(RENAME_NOT_NULL)
    for name in INDEXES:
        op.execute(RENAMING + f"ALTER INDEX public.{name} RENAME TO {old_name(name)}")
    for name in TRIGGERS:
        op.execute(RENAMING + f"ALTER TRIGGER {name} ON public.habit_tracker_old RENAME TO {old_name(name)}")
    for name in FUNCTIONS:
        execute(f"functions/migration.{name}", "0039")
    op.execute(f"DROP POLICY {POLICY} ON public.habit_tracker_old")
    op.execute("REVOKE ALL ON TABLE public.habit_tracker_old FROM anon, authenticated, service_role")
    op.execute("REVOKE ALL ON SEQUENCE public.habit_tracker_old_id_seq FROM anon, authenticated, service_role")
    op.execute("""COMMENT ON TABLE public.habit_tracker_old IS
    'The legacy table, retired (Phase 3, 0039): frozen, no API role may read it; dropped by 0040 after its archive'""")
    op.execute(RECORD_STATUS)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '120s'")
    lock_access_exclusive("public.habit_tracker_old")
    op.execute("COMMENT ON TABLE public.habit_tracker_old IS NULL")
    for name in reversed(TRIGGERS):
        op.execute(RENAMING + f"ALTER TRIGGER {old_name(name)} ON public.habit_tracker_old RENAME TO {name}")
    for name in reversed(INDEXES):
        op.execute(RENAMING + f"ALTER INDEX public.{old_name(name)} RENAME TO {name}")
    op.execute(RENAME_NOT_NULL_BACK)
    for name in reversed(CONSTRAINTS):
        op.execute(RENAMING + f"ALTER TABLE public.habit_tracker_old RENAME CONSTRAINT {old_name(name)} TO {name}")
    op.execute(RENAMING + "ALTER SEQUENCE public.habit_tracker_old_id_seq RENAME TO habit_tracker_id_seq")
    op.execute(RENAMING_TABLE + "ALTER TABLE public.habit_tracker_old RENAME TO habit_tracker")
    for name in FUNCTIONS:
        execute(f"functions/migration.{name}", "0038", restoring=True)
    execute("policies/public.habit_tracker", "0001")
    # 0038's grants on the frozen table: the app may still read it (writes are refused).
    op.execute("GRANT SELECT ON TABLE public.habit_tracker TO authenticated")
    op.execute("DROP TABLE migration.retired_legacy_table")
