"""Legacy baseline: habit_tracker as deployed in production

Revision: 0001_legacy_baseline
Revises:
Created: 2026-11-25 09:10:00

What and why
    Records the legacy schema exactly as it is deployed in production today
    (SCHEMA_FACTS section 1), so that every later revision has a known base:
      - function  update_updated_at_column()  (plpgsql trigger function,
        sets NEW.updated_at = now(); later revisions reuse it)
      - table     habit_tracker (id BIGSERIAL PK, child_name, week_period,
        theme, habits JSONB, reflection JSONB, reward, created_at, updated_at,
        week_start_date, user_id), with
          constraint habit_tracker_child_week_unique UNIQUE (child_name, week_period)
          constraint fk_habit_tracker_user_id -> auth.users(id) ON DELETE CASCADE
      - indexes   idx_habit_tracker_child_name, idx_habit_tracker_updated_at,
                  idx_habit_tracker_child_week, idx_habit_tracker_user_id,
                  idx_habit_tracker_user_child_week
      - trigger   update_habit_tracker_updated_at (BEFORE UPDATE, FOR EACH ROW)
      - RLS enabled, with the single policy "Users can only access their own
        data" (FOR ALL, no TO clause = PUBLIC).

    PRODUCTION: THIS REVISION IS NOT RUN THERE. The production database already
    holds every object above (and the live rows). The DBA marks it as applied
    without executing any SQL:

        make stamp REV=0001_legacy_baseline
        # = alembic stamp 0001_legacy_baseline

    and then runs `make upgrade` for 0002 onwards. Running this upgrade against
    production would fail at CREATE FUNCTION / CREATE TABLE (objects exist),
    and the transaction would roll back; nothing would change.
    On fresh databases (CI, staging, local) the upgrade builds the legacy
    schema from scratch. It needs the Supabase `auth` schema (auth.users,
    auth.uid()) to exist already; this repository never creates or alters it.

Locks taken, and for how long
    Timeouts: lock_timeout = '5s', statement_timeout = '60s'.
    - habit_tracker: ACCESS EXCLUSIVE (it is created in this transaction; no
      other session can see it until COMMIT). The five indexes use plain
      CREATE INDEX, not CONCURRENTLY: the table is created, empty, in the same
      transaction, so there is nothing to block and nothing to scan.
    - auth.users: SHARE ROW EXCLUSIVE, taken by the inline FOREIGN KEY
      fk_habit_tracker_user_id, held until this transaction commits
      (milliseconds). It blocks writes to auth.users (sign-ups, logins that
      update last_sign_in_at) for that time, not reads. If it cannot be had
      within lock_timeout (5s) the revision fails and rolls back; retry.
    Downgrade: ACCESS EXCLUSIVE on habit_tracker (explicit LOCK TABLE first,
    so no row can arrive between the emptiness check and the DROP), and a
    brief ACCESS EXCLUSIVE on auth.users when DROP TABLE removes the foreign
    key's triggers there; both held until COMMIT (milliseconds).

How to verify
    SELECT c.relname, c.relrowsecurity,
           (SELECT count(*) FROM pg_indexes i
             WHERE i.schemaname = 'public' AND i.tablename = 'habit_tracker'
               AND i.indexname LIKE 'idx_habit_tracker_%') AS idx_count,
           (SELECT count(*) FROM pg_policies p
             WHERE p.schemaname = 'public' AND p.tablename = 'habit_tracker') AS policies,
           (SELECT count(*) FROM pg_trigger t
             WHERE t.tgrelid = c.oid AND t.tgname = 'update_habit_tracker_updated_at') AS triggers
      FROM pg_class c
     WHERE c.oid = 'public.habit_tracker'::regclass;
    -- expect: habit_tracker | t | 5 | 1 | 1
    SELECT conname FROM pg_constraint
     WHERE conrelid = 'public.habit_tracker'::regclass ORDER BY 1;
    -- expect: fk_habit_tracker_user_id, habit_tracker_child_week_unique, habit_tracker_pkey

How to roll back
    `make downgrade` to base drops, in order: the policy, the trigger, the
    table (with its indexes, constraints and id sequence) and the function.
    SAFETY: habit_tracker holds the production data. Online, downgrade()
    counts its rows first and raises RuntimeError if there are any, unless
    run with `-x allow_legacy_drop=true`. In offline mode (--sql) it cannot
    count, so unless that flag is given it emits a DO block that raises an
    exception at execution time if the table is not empty. On production
    (where this revision was only stamped) the right way back to "nothing
    applied" is `alembic stamp base`, never a downgrade.
"""
from alembic import context, op
import sqlalchemy as sa

from migrations.helpers.sql_files import execute


revision = "0001_legacy_baseline"
down_revision = None
branch_labels = None
depends_on = None


CREATE_UPDATED_AT_FUNCTION = """\
CREATE FUNCTION update_updated_at_column()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$"""

DROP_UPDATED_AT_FUNCTION = "DROP FUNCTION update_updated_at_column()"

# squawk prefer-identity: BIGSERIAL is what production has; the baseline records it as it is.
CREATE_HABIT_TRACKER = """\
CREATE TABLE habit_tracker (
    -- squawk-ignore prefer-identity
    id BIGSERIAL PRIMARY KEY,
    child_name TEXT NOT NULL,
    week_period TEXT NOT NULL DEFAULT '',
    theme TEXT,
    habits JSONB DEFAULT '[]'::JSONB,
    reflection JSONB DEFAULT '{}'::JSONB,
    reward TEXT,
    created_at TIMESTAMPTZ DEFAULT now(),
    updated_at TIMESTAMPTZ DEFAULT now(),
    week_start_date DATE,
    user_id UUID,
    CONSTRAINT habit_tracker_child_week_unique UNIQUE (child_name, week_period),
    CONSTRAINT fk_habit_tracker_user_id FOREIGN KEY (user_id) REFERENCES auth.users (id) ON DELETE CASCADE
)"""

POLICY_NAME = '"Users can only access their own data"'

CREATE_OWN_DATA_POLICY = (
    f"CREATE POLICY {POLICY_NAME} ON habit_tracker "
    "FOR ALL "
    "USING (auth.uid() IS NOT NULL AND auth.uid()::TEXT = user_id::TEXT)"
)

# Offline-mode (--sql) guard: the script generator cannot count rows, so the
# emitted SQL refuses to run on a non-empty table instead.
REFUSE_NON_EMPTY_LEGACY_DROP = """\
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM habit_tracker) THEN
        RAISE EXCEPTION 'refusing to drop habit_tracker: it holds legacy rows; regenerate with -x allow_legacy_drop=true to drop them';
    END IF;
END
$$"""


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")

    op.execute(CREATE_UPDATED_AT_FUNCTION)
    op.execute(CREATE_HABIT_TRACKER)

    # Plain CREATE INDEX: the table was created, empty, in this transaction.
    op.execute("CREATE INDEX idx_habit_tracker_child_name ON habit_tracker (child_name)")
    op.execute("CREATE INDEX idx_habit_tracker_updated_at ON habit_tracker (updated_at)")
    op.execute(
        "CREATE INDEX idx_habit_tracker_child_week ON habit_tracker (child_name, week_period)"
    )
    op.execute("CREATE INDEX idx_habit_tracker_user_id ON habit_tracker (user_id)")
    op.execute(
        "CREATE INDEX idx_habit_tracker_user_child_week "
        "ON habit_tracker (user_id, child_name, week_start_date)"
    )

    op.execute(
        "CREATE TRIGGER update_habit_tracker_updated_at "
        "BEFORE UPDATE ON habit_tracker "
        "FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()"
    )

    op.execute("ALTER TABLE habit_tracker ENABLE ROW LEVEL SECURITY")
    op.execute(CREATE_OWN_DATA_POLICY)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")

    # Lock first so that no row can be inserted between the check and the DROP.
    op.execute("LOCK TABLE habit_tracker IN ACCESS EXCLUSIVE MODE")

    allow_legacy_drop = (
        context.get_x_argument(as_dictionary=True).get("allow_legacy_drop") == "true"
    )
    if not allow_legacy_drop:
        if not context.is_offline_mode():
            legacy_rows = (
                op.get_bind().execute(sa.text("SELECT count(*) FROM habit_tracker")).scalar()
            )
            if legacy_rows:
                raise RuntimeError(
                    f"refusing to drop habit_tracker: it holds {legacy_rows} legacy rows; "
                    "pass -x allow_legacy_drop=true to drop them"
                )
        else:
            op.execute(REFUSE_NON_EMPTY_LEGACY_DROP)

    op.execute(f"DROP POLICY {POLICY_NAME} ON habit_tracker")
    op.execute("DROP TRIGGER update_habit_tracker_updated_at ON habit_tracker")
    op.execute("DROP TABLE habit_tracker")
    op.execute(DROP_UPDATED_AT_FUNCTION)
