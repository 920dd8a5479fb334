"""Record, per legacy row, what the mapping gave when it was last synced (fast full drift check)

Revision: 0011_sync_state
Revises: 0010_legacy_mapping
Created: 2026-11-25 13:00:00

What and why
    The drift check must cover every legacy row, but evaluating the mapping for all of
    them costs as much as the naive comparison it is meant to beat. The mapping is a pure
    function of the legacy row and the policy in migration.settings, so its result needs
    recomputing only when either changed. From this revision on, every sync records for
    each legacy row it handled:

        migration.sync_state (legacy_id, row_hash, user_id, child_name, monday, week_id,
                              fingerprint, synced_at)

    - row_hash = migration.row_hash(h): md5 of the legacy row's text and the policy. A
      legacy row whose hash still matches maps to what was recorded; any other row (new,
      changed, changed while the trigger was off, or under a changed policy) is re-mapped
      by the drift check.
    - fingerprint = migration.week_fingerprint(...) over the week, habits and records the
      mapping produced (not what is in the tables), NULL for a quarantined row. The drift
      check computes the same fingerprint from the new tables and compares.
    - (user_id, child_name, monday): the duplicate_week rule makes a row's outcome depend
      on the other rows of its child-week, so the drift check re-maps the whole group when
      any member changed.

    Mechanics, so that no sync rule is restated: 0010's sync_legacy_ids() is renamed
    migration.write_mapping() unchanged, and a new migration.sync_legacy_ids() with the
    same signature calls it and then migration.record_sync_state(), which reads the
    mapping's output from the temporary tables write_mapping() leaves for the rest of the
    transaction (pg_temp.sync_rows, sync_weeks, sync_habits, sync_records). Callers (the
    backfill, and the sync trigger to come) keep calling sync_legacy_ids().

    Any later revision that changes the mapping's rules must TRUNCATE migration.sync_state
    (the next drift check then re-maps every row; `make backfill` records the state again).
    `make drift --full` ignores the state altogether.

Locks taken, and for how long
    CREATE TABLE / FUNCTION and ALTER FUNCTION ... RENAME in the migration schema only; no
    lock on habit_tracker or the new tables. A backfill running during the upgrade keeps its
    calls consistent: a call resolves sync_legacy_ids() when its transaction runs it.
    Timeouts: lock_timeout '5s', statement_timeout '60s'.

How to verify
    SELECT count(*) FROM migration.sync_state;   -- after `make backfill`: one row per legacy row
    `make verify` (legacy mapping: sync state present); `make drift` reports how many rows
    it re-mapped.

How to roll back
    `make downgrade` drops sync_legacy_ids(), record_sync_state(), the fingerprint and hash
    functions and the table (the state is derived data: nothing is lost), and renames
    write_mapping() back to sync_legacy_ids(), exactly 0010's function.
"""
from alembic import op

revision = "0011_sync_state"
down_revision = "0010_legacy_mapping"
branch_labels = None
depends_on = None

CREATE_SYNC_STATE = """\
CREATE TABLE migration.sync_state (
    legacy_id BIGINT PRIMARY KEY,
    row_hash UUID NOT NULL,
    user_id UUID,
    child_name TEXT,
    monday DATE,
    week_id UUID,
    fingerprint UUID,
    synced_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ck_sync_state_mapped_has_fingerprint CHECK ((week_id IS NULL) = (fingerprint IS NULL))
)"""

# The policy is part of the hash: changing repair_sunday_starts makes every row stale.
CREATE_ROW_HASH = """\
CREATE FUNCTION migration.row_hash(h public.habit_tracker)  -- noqa: CP05
RETURNS UUID
LANGUAGE sql STABLE
AS $$
    SELECT md5(h::TEXT || '/repair_sunday_starts=' || migration.repair_sunday_starts())::UUID
$$"""

# One line per habit and per record, and one fingerprint per week over them; the drift
# check aggregates the new tables' rows with these same functions. Plain concatenation, not
# format(): they run once per record of every backfilled week.
CREATE_HABIT_LINE = """\
CREATE FUNCTION migration.habit_line(id UUID, name TEXT, display_order INTEGER)
RETURNS TEXT
LANGUAGE sql IMMUTABLE
AS $$ SELECT id::TEXT || ' ' || display_order::TEXT || ' ' || quote_literal(name) $$"""

CREATE_RECORD_LINE = """\
CREATE FUNCTION migration.record_line(id UUID, habit_id UUID, record_date DATE, status TEXT)
RETURNS TEXT
LANGUAGE sql STABLE
AS $$ SELECT id::TEXT || ' ' || habit_id::TEXT || ' ' || record_date::TEXT || ' ' || quote_literal(status) $$"""

CREATE_WEEK_FINGERPRINT = """\
CREATE FUNCTION migration.week_fingerprint(
    child_id UUID, user_id UUID, week_start_date DATE, week_end_date DATE, theme TEXT, reflection JSONB,
    reward TEXT, habit_lines TEXT, record_lines TEXT
)
RETURNS UUID
LANGUAGE sql STABLE
AS $$
    SELECT md5(format('%s|%s|%s|%s|%L|%L|%L|%L|%L', child_id, user_id, week_start_date, week_end_date, theme,
                      reflection, reward, habit_lines, record_lines))::UUID
$$"""

CREATE_RECORD_SYNC_STATE = """\
CREATE FUNCTION migration.record_sync_state(legacy_ids BIGINT[])
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
DECLARE
    n INTEGER;
BEGIN
    -- Legacy rows that are gone have no state.
    DELETE FROM migration.sync_state AS s
    WHERE s.legacy_id = ANY(legacy_ids)
        AND NOT EXISTS (SELECT 1 FROM pg_temp.sync_rows AS c WHERE c.legacy_id = s.legacy_id);

    INSERT INTO migration.sync_state AS t (legacy_id, row_hash, user_id, child_name, monday, week_id, fingerprint)
    SELECT c.legacy_id, migration.row_hash(c.legacy), (c.legacy).user_id, (c.legacy).child_name, c.monday, w.id,
           CASE WHEN w.id IS NOT NULL THEN
               migration.week_fingerprint(w.child_id, w.user_id, w.week_start_date, w.week_end_date, w.theme,
                                          w.reflection, w.reward, hs.lines, rs.lines)
           END
    FROM pg_temp.sync_rows AS c
    LEFT JOIN pg_temp.sync_weeks AS w ON w.legacy_id = c.legacy_id
    LEFT JOIN (
        SELECT h.week_id, string_agg(migration.habit_line(h.id, h.name, h.display_order), ';' ORDER BY h.id) AS lines
        FROM pg_temp.sync_habits AS h GROUP BY h.week_id
    ) AS hs ON hs.week_id = w.id
    LEFT JOIN (
        SELECT h.week_id,
               string_agg(migration.record_line(r.id, r.habit_id, r.record_date, r.status), ';' ORDER BY r.id) AS lines
        FROM pg_temp.sync_records AS r JOIN pg_temp.sync_habits AS h ON h.id = r.habit_id GROUP BY h.week_id
    ) AS rs ON rs.week_id = w.id
    ON CONFLICT (legacy_id) DO UPDATE SET row_hash = excluded.row_hash, user_id = excluded.user_id,
        child_name = excluded.child_name, monday = excluded.monday, week_id = excluded.week_id,
        fingerprint = excluded.fingerprint, synced_at = now()
    WHERE (t.row_hash, t.week_id, t.fingerprint) IS DISTINCT FROM (excluded.row_hash, excluded.week_id,
                                                                    excluded.fingerprint);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$"""

CREATE_SYNC_LEGACY_IDS = """\
CREATE FUNCTION migration.sync_legacy_ids(legacy_ids BIGINT[], source TEXT)
RETURNS TABLE (legacy_rows INTEGER, quarantined INTEGER, weeks_written INTEGER, habits_written INTEGER,
               records_written INTEGER, rows_deleted INTEGER)
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN QUERY SELECT * FROM migration.write_mapping(legacy_ids, source);
    PERFORM migration.record_sync_state(legacy_ids);
END;
$$"""


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute(CREATE_SYNC_STATE)
    op.execute("COMMENT ON TABLE migration.sync_state IS "
               "'Per legacy row: its hash and the mapping''s week fingerprint when last synced (drift check)'")
    op.execute(CREATE_ROW_HASH)
    op.execute(CREATE_HABIT_LINE)
    op.execute(CREATE_RECORD_LINE)
    op.execute(CREATE_WEEK_FINGERPRINT)
    # Renamed, not changed: its only callers call sync_legacy_ids(), which keeps the name.
    op.execute("-- squawk-ignore renaming-object\n"
               "ALTER FUNCTION migration.sync_legacy_ids(BIGINT[], TEXT) RENAME TO write_mapping")
    op.execute(CREATE_RECORD_SYNC_STATE)
    op.execute(CREATE_SYNC_LEGACY_IDS)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute("DROP FUNCTION migration.sync_legacy_ids(BIGINT[], TEXT)")
    op.execute("DROP FUNCTION migration.record_sync_state(BIGINT[])")
    op.execute("-- squawk-ignore renaming-object\n"
               "ALTER FUNCTION migration.write_mapping(BIGINT[], TEXT) RENAME TO sync_legacy_ids")
    op.execute("DROP FUNCTION migration.week_fingerprint(UUID, UUID, DATE, DATE, TEXT, JSONB, TEXT, TEXT, TEXT)")
    op.execute("DROP FUNCTION migration.record_line(UUID, UUID, DATE, TEXT)")
    op.execute("DROP FUNCTION migration.habit_line(UUID, TEXT, INTEGER)")
    op.execute("DROP FUNCTION migration.row_hash(public.habit_tracker)")
    op.execute("DROP TABLE migration.sync_state")
