"""The old -> new mapping, written once in SQL, and the quarantine for rows it cannot take

Revision: 0010_legacy_mapping
Revises: 0009_dual_write_trigger_phase0
Created: 2026-11-25 12:00:00

What and why
    SCHEMA_FACTS §4 maps each legacy `habit_tracker` row to a child, a week, its habits and
    their records. This revision writes that mapping once, as SQL objects in a schema of its
    own (`migration`, not exposed through Supabase's API), and everything that needs it uses
    these objects: the backfill (`make backfill`), the drift check, and the Phase 1 sync
    trigger. Nothing else restates the rules.

    - migration.week_start(habit_tracker): the week's Monday. NULL week_start_date takes the
      date of the `week_period` label; a Sunday start (a Korean Monday stored through UTC)
      is moved to the Monday only when the setting `repair_sunday_starts` is 'true'
      (default 'false': such rows are quarantined, the safe choice).
    - migration.local_problem(habit_tracker) / migration.row_problem(habit_tracker): why a
      row cannot be migrated as it is, as (reason, detail), or NULL. The policy per dirty
      case (SCHEMA_FACTS §1):
        no_user               user_id NULL: the new tables need an owner.      quarantine
        bad_child_name        child_name empty or over 100 characters.           quarantine
        no_week_start         no week_start_date and no parseable label.         quarantine
        not_monday            the start is not a Monday (after the optional
                              Sunday repair).                                    quarantine
        habits_not_array      `habits` is JSON but not an array.                 quarantine
        bad_habit             an element is not an object with a text name.      quarantine
        bad_habit_name        a habit name empty or over 200 characters.         quarantine
        duplicate_habit_name  two habits of the week share a name.               quarantine
        times_not_array       a habit's `times` is not an array.                 quarantine
        times_too_long        `times` has a non-empty entry past Sunday.         quarantine
        unknown_status        a day holds something other than '', green,
                              yellow, red or none.                               quarantine
        duplicate_week        an older clean legacy row already maps to the same
                              child and week.                                    quarantine
      Migrated as they are, nothing lost: `habits` NULL or [] (a week with no habits);
      `times` shorter than 7 (the missing days have no record); `times` longer than 7 with
      only empty extras; a `week_period` label that disagrees with a valid Monday
      week_start_date (the label is not stored in the new schema; the date wins).
    - Ids are deterministic, so the same legacy row always maps to the same new rows and
      every writer (backfill, trigger, endpoint) agrees without a lookup table:
      week md5('habit_tracker/week/<legacy id>'), habit '.../habit/<id>/<position>', record
      '.../record/<id>/<position>/<day>', child '.../child/<user id>/<name>' (as uuid).
    - Views migration.expected_children / expected_weeks / expected_habits /
      expected_records: what the new tables must hold for the clean legacy rows;
      display_order is the element's 0-based position (never the JSON id: the original
      used it and lost every record of the 13-digit-id habits).
    - migration.sync_legacy_ids(ids, source): makes the new tables equal to the mapping for
      those legacy ids (insert, update what differs, delete what no longer maps, quarantine
      what cannot be mapped, release what now can); set-based, idempotent. Rows it writes
      carry `source_version = source` ('migration' for the backfill).
    - migration.expected_fingerprints / actual_fingerprints: one md5 per week over the week,
      its habits and records, from the mapping and from the new tables, so a whole-table
      comparison can find the weeks that differ without comparing every record.
    - Tables migration.settings (repair_sunday_starts) and migration.backfill_quarantine
      (legacy_id, reason, detail, quarantined_at).

Locks taken, and for how long
    CREATE SCHEMA / TABLE / FUNCTION / VIEW only: no lock on any existing table beyond the
    dependency records (ACCESS SHARE on habit_tracker and the new tables for the views).
    Timeouts: lock_timeout '5s', statement_timeout '60s'.

How to verify
    SELECT * FROM migration.expected_weeks LIMIT 5;
    SELECT (migration.row_problem(h)).* FROM habit_tracker h LIMIT 5;
    `make verify` checks the objects; `make backfill` uses them.

How to roll back
    `make downgrade` drops the schema `migration` and everything in it, including the
    quarantine records. The new tables' rows written by a backfill stay (they are data;
    drop them with the tables, or keep them).
"""
from alembic import op

revision = "0010_legacy_mapping"
down_revision = "0009_dual_write_trigger_phase0"
branch_labels = None
depends_on = None

CREATE_SETTINGS = """\
CREATE TABLE migration.settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    CONSTRAINT ck_settings_known CHECK (name IN ('repair_sunday_starts')),
    CONSTRAINT ck_settings_boolean CHECK (value IN ('true', 'false'))
)"""

CREATE_QUARANTINE = """\
CREATE TABLE migration.backfill_quarantine (
    legacy_id BIGINT PRIMARY KEY,
    reason TEXT NOT NULL,
    detail TEXT,
    quarantined_at TIMESTAMPTZ NOT NULL DEFAULT now()
)"""

CREATE_PARSE_WEEK_PERIOD = """\
CREATE FUNCTION migration.parse_week_period(label TEXT)
RETURNS DATE
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    parts TEXT[] := regexp_match(label, '^\\s*(\\d{4})년\\s*(\\d{1,2})월\\s*(\\d{1,2})일');
BEGIN
    IF parts IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN make_date(parts[1]::INTEGER, parts[2]::INTEGER, parts[3]::INTEGER);
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format OR numeric_value_out_of_range THEN
    RETURN NULL;
END;
$$"""

CREATE_REPAIR_SUNDAY_STARTS = """\
CREATE FUNCTION migration.repair_sunday_starts()
RETURNS BOOLEAN
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT value = 'true' FROM migration.settings WHERE name = 'repair_sunday_starts'), FALSE)
$$"""

CREATE_WEEK_START = """\
CREATE FUNCTION migration.week_start(h public.habit_tracker)
RETURNS DATE
LANGUAGE sql STABLE
AS $$
    SELECT CASE
        WHEN h.week_start_date IS NULL THEN migration.parse_week_period(h.week_period)
        WHEN extract(DOW FROM h.week_start_date) = 0 AND migration.repair_sunday_starts()
            THEN h.week_start_date + 1
        ELSE h.week_start_date
    END
$$"""

# The habits of a row as (pos, element); NULL habits mean none.
CREATE_HABIT_ELEMENTS = """\
CREATE FUNCTION migration.habit_elements(habits JSONB)
RETURNS TABLE (pos INTEGER, element JSONB)
LANGUAGE sql IMMUTABLE
AS $$
    SELECT (e.n - 1)::INTEGER, e.element
    FROM jsonb_array_elements(
        CASE WHEN jsonb_typeof(habits) = 'array' THEN habits ELSE '[]'::JSONB END
    ) WITH ORDINALITY AS e (element, n)
$$"""

CREATE_LOCAL_PROBLEM = """\
CREATE FUNCTION migration.local_problem(h public.habit_tracker)
RETURNS TABLE (reason TEXT, detail TEXT)
LANGUAGE sql STABLE
AS $$
    WITH start AS (
        SELECT migration.week_start(h) AS monday
    ),
    elements AS (
        SELECT
            e.pos,
            e.element,
            CASE WHEN jsonb_typeof(e.element) = 'object' AND jsonb_typeof(e.element -> 'name') = 'string'
                THEN e.element ->> 'name' END AS name,
            CASE WHEN jsonb_typeof(e.element) = 'object' THEN e.element -> 'times' END AS times
        FROM migration.habit_elements(h.habits) AS e
    ),
    checks (priority, reason, detail) AS (
        SELECT 1, 'no_user', 'user_id is NULL'
        WHERE h.user_id IS NULL
        UNION ALL
        SELECT 2, 'bad_child_name', format('child_name has %s characters', char_length(h.child_name))
        WHERE char_length(h.child_name) NOT BETWEEN 1 AND 100
        UNION ALL
        SELECT 3, 'no_week_start', format('week_start_date NULL and week_period %L unreadable', h.week_period)
        FROM start WHERE start.monday IS NULL
        UNION ALL
        SELECT 4, 'not_monday', format('week starts %s, a %s', start.monday, to_char(start.monday, 'FMDay'))
        FROM start WHERE extract(DOW FROM start.monday) <> 1
        UNION ALL
        SELECT 5, 'habits_not_array', format('habits is a JSON %s', jsonb_typeof(h.habits))
        WHERE h.habits IS NOT NULL AND jsonb_typeof(h.habits) NOT IN ('array', 'null')
        UNION ALL
        SELECT 6, 'bad_habit', format('habit %s has no text name', min(pos))
        FROM elements WHERE name IS NULL HAVING count(*) > 0
        UNION ALL
        SELECT 7, 'bad_habit_name', format('habit %s name has %s characters', min(pos), min(char_length(name)))
        FROM elements WHERE char_length(name) NOT BETWEEN 1 AND 200 HAVING count(*) > 0
        UNION ALL
        SELECT 8, 'duplicate_habit_name', format('%s habits, %s distinct names', count(name), count(DISTINCT name))
        FROM elements HAVING count(name) > count(DISTINCT name)
        UNION ALL
        SELECT 9, 'times_not_array', format('habit %s times is a JSON %s', min(pos), min(jsonb_typeof(times)))
        FROM elements WHERE times IS NOT NULL AND jsonb_typeof(times) NOT IN ('array', 'null') HAVING count(*) > 0
        UNION ALL
        SELECT 10, 'times_too_long', format('habit %s has a non-empty day past Sunday', min(e.pos))
        FROM elements AS e
        CROSS JOIN LATERAL jsonb_array_elements(e.times) WITH ORDINALITY AS d (status, n)
        WHERE jsonb_typeof(e.times) = 'array' AND d.n > 7 AND d.status NOT IN ('""', 'null')
        HAVING count(*) > 0
        UNION ALL
        SELECT 11, 'unknown_status', format('habit %s holds %s', min(e.pos), min(d.status::TEXT))
        FROM elements AS e
        CROSS JOIN LATERAL jsonb_array_elements(e.times) WITH ORDINALITY AS d (status, n)
        WHERE jsonb_typeof(e.times) = 'array' AND d.n <= 7
            AND d.status NOT IN ('""', 'null', '"green"', '"yellow"', '"red"', '"none"')
        HAVING count(*) > 0
    )
    SELECT reason, detail FROM checks ORDER BY priority LIMIT 1
$$"""

CREATE_ROW_PROBLEM = """\
CREATE FUNCTION migration.row_problem(h public.habit_tracker)
RETURNS TABLE (reason TEXT, detail TEXT)
LANGUAGE sql STABLE
AS $$
    SELECT p.reason, p.detail FROM migration.local_problem(h) AS p
    UNION ALL
    SELECT 'duplicate_week', format('legacy row %s already maps to this child and week', min(o.id))
    FROM public.habit_tracker AS o
    WHERE NOT EXISTS (SELECT 1 FROM migration.local_problem(h))
        AND o.user_id = h.user_id AND o.child_name = h.child_name AND o.id < h.id
        AND (o.week_start_date BETWEEN migration.week_start(h) - 1 AND migration.week_start(h)
            OR o.week_start_date IS NULL)
        AND migration.week_start(o) = migration.week_start(h)
        AND NOT EXISTS (SELECT 1 FROM migration.local_problem(o))
    HAVING count(*) > 0
    LIMIT 1
$$"""

CREATE_ID_FUNCTIONS = (
    """\
CREATE FUNCTION migration.week_id(legacy_id BIGINT)
RETURNS UUID
LANGUAGE sql IMMUTABLE
AS $$ SELECT md5('habit_tracker/week/' || legacy_id)::UUID $$""",
    """\
CREATE FUNCTION migration.habit_id(legacy_id BIGINT, pos INTEGER)
RETURNS UUID
LANGUAGE sql IMMUTABLE
AS $$ SELECT md5('habit_tracker/habit/' || legacy_id || '/' || pos)::UUID $$""",
    """\
CREATE FUNCTION migration.record_id(legacy_id BIGINT, pos INTEGER, day INTEGER)
RETURNS UUID
LANGUAGE sql IMMUTABLE
AS $$ SELECT md5('habit_tracker/record/' || legacy_id || '/' || pos || '/' || day)::UUID $$""",
    """\
CREATE FUNCTION migration.child_id(user_id UUID, name TEXT)
RETURNS UUID
LANGUAGE sql IMMUTABLE
AS $$ SELECT md5('habit_tracker/child/' || user_id || '/' || name)::UUID $$""",
)
DROP_ID_FUNCTIONS = (
    "DROP FUNCTION migration.week_id(BIGINT)",
    "DROP FUNCTION migration.habit_id(BIGINT, INTEGER)",
    "DROP FUNCTION migration.record_id(BIGINT, INTEGER, INTEGER)",
    "DROP FUNCTION migration.child_id(UUID, TEXT)",
)

# Clean legacy rows with their Monday; every expected_* view starts here.
CREATE_CLEAN_ROWS = """\
CREATE VIEW migration.clean_legacy_rows AS
SELECT h.*, migration.week_start(h) AS monday
FROM public.habit_tracker AS h
WHERE NOT EXISTS (SELECT 1 FROM migration.row_problem(h))"""

CREATE_EXPECTED_WEEKS = """\
CREATE VIEW migration.expected_weeks AS
SELECT
    c.id AS legacy_id,
    migration.week_id(c.id) AS id,
    c.user_id,
    migration.child_id(c.user_id, c.child_name) AS child_id,
    c.child_name,
    c.monday AS week_start_date,
    c.monday + 6 AS week_end_date,
    c.theme,
    c.reflection,
    c.reward,
    coalesce(c.created_at, now()) AS created_at,
    coalesce(c.updated_at, now()) AS updated_at
FROM migration.clean_legacy_rows AS c"""

CREATE_EXPECTED_CHILDREN = """\
CREATE VIEW migration.expected_children AS
SELECT
    migration.child_id(w.user_id, w.child_name) AS id,
    w.user_id,
    w.child_name AS name,
    min(w.created_at) AS created_at
FROM migration.expected_weeks AS w
GROUP BY w.user_id, w.child_name"""

CREATE_EXPECTED_HABITS = """\
CREATE VIEW migration.expected_habits AS
SELECT
    c.id AS legacy_id,
    migration.habit_id(c.id, e.pos) AS id,
    migration.week_id(c.id) AS week_id,
    e.element ->> 'name' AS name,
    e.pos AS display_order,
    e.element -> 'times' AS times,
    c.monday
FROM migration.clean_legacy_rows AS c
CROSS JOIN LATERAL migration.habit_elements(c.habits) AS e"""

CREATE_EXPECTED_RECORDS = """\
CREATE VIEW migration.expected_records AS
SELECT
    h.legacy_id,
    migration.record_id(h.legacy_id, h.display_order, (d.n - 1)::INTEGER) AS id,
    h.id AS habit_id,
    h.monday + (d.n - 1)::INTEGER AS record_date,
    d.status
FROM migration.expected_habits AS h
CROSS JOIN LATERAL jsonb_array_elements_text(
    CASE WHEN jsonb_typeof(h.times) = 'array' THEN h.times ELSE '[]'::JSONB END
) WITH ORDINALITY AS d (status, n)
WHERE d.n <= 7 AND d.status <> ''"""

# One md5 per week over the mapped content of the week, its habits and their records.
CREATE_EXPECTED_FINGERPRINTS = """\
CREATE VIEW migration.expected_fingerprints AS
SELECT
    w.legacy_id,
    w.id AS week_id,
    md5(concat_ws('|',
        w.child_id, w.user_id, w.week_start_date, w.week_end_date, w.theme, w.reflection::TEXT, w.reward,
        (SELECT string_agg(concat_ws(',', h.id, h.name, h.display_order), ';' ORDER BY h.id)
         FROM migration.expected_habits AS h WHERE h.legacy_id = w.legacy_id),
        (SELECT string_agg(concat_ws(',', r.id, r.habit_id, r.record_date, r.status), ';' ORDER BY r.id)
         FROM migration.expected_records AS r WHERE r.legacy_id = w.legacy_id)
    )) AS fingerprint
FROM migration.expected_weeks AS w"""

CREATE_ACTUAL_FINGERPRINTS = """\
CREATE VIEW migration.actual_fingerprints AS
SELECT
    w.id AS week_id,
    w.source_version,
    md5(concat_ws('|',
        w.child_id, w.user_id, w.week_start_date, w.week_end_date, w.theme, w.reflection::TEXT, w.reward,
        (SELECT string_agg(concat_ws(',', h.id, h.name, h.display_order), ';' ORDER BY h.id)
         FROM public.habits AS h WHERE h.week_id = w.id),
        (SELECT string_agg(concat_ws(',', r.id, r.habit_id, r.record_date, r.status), ';' ORDER BY r.id)
         FROM public.habit_records AS r INNER JOIN public.habits AS h ON r.habit_id = h.id
         WHERE h.week_id = w.id)
    )) AS fingerprint
FROM public.weeks AS w"""

CREATE_SYNC_LEGACY_IDS = """\
CREATE FUNCTION migration.sync_legacy_ids(legacy_ids BIGINT[], source TEXT)
RETURNS TABLE (legacy_rows INTEGER, quarantined INTEGER, weeks_written INTEGER, habits_written INTEGER,
               records_written INTEGER, rows_deleted INTEGER)
LANGUAGE plpgsql
AS $$
DECLARE
    n_legacy INTEGER;
    n_quarantined INTEGER;
    n_weeks INTEGER;
    n_habits INTEGER;
    n_records INTEGER;
    n_deleted INTEGER := 0;
    n INTEGER;
BEGIN
    -- Renames and swaps inside one week pass through states the deferrable uniques would
    -- reject mid-statement; they are checked at COMMIT instead.
    SET CONSTRAINTS uq_habits_week_name, uq_habit_records_habit_date, uq_weeks_child_start_date DEFERRED;

    CREATE TEMP TABLE IF NOT EXISTS pg_temp.sync_weeks (LIKE migration.expected_weeks) ON COMMIT DROP;
    CREATE TEMP TABLE IF NOT EXISTS pg_temp.sync_habits (LIKE migration.expected_habits) ON COMMIT DROP;
    CREATE TEMP TABLE IF NOT EXISTS pg_temp.sync_records (LIKE migration.expected_records) ON COMMIT DROP;
    TRUNCATE pg_temp.sync_weeks, pg_temp.sync_habits, pg_temp.sync_records;
    INSERT INTO pg_temp.sync_weeks SELECT * FROM migration.expected_weeks WHERE legacy_id = ANY(legacy_ids);
    INSERT INTO pg_temp.sync_habits SELECT * FROM migration.expected_habits WHERE legacy_id = ANY(legacy_ids);
    INSERT INTO pg_temp.sync_records SELECT * FROM migration.expected_records WHERE legacy_id = ANY(legacy_ids);
    SELECT count(*) INTO n_legacy FROM public.habit_tracker WHERE id = ANY(legacy_ids);

    -- Quarantine: record why each unmappable row is out, release the rows that map again.
    INSERT INTO migration.backfill_quarantine AS q (legacy_id, reason, detail)
    SELECT h.id, p.reason, p.detail
    FROM public.habit_tracker AS h CROSS JOIN LATERAL migration.row_problem(h) AS p
    WHERE h.id = ANY(legacy_ids)
    ON CONFLICT (legacy_id) DO UPDATE SET reason = excluded.reason, detail = excluded.detail,
        quarantined_at = now()
    WHERE (q.reason, q.detail) IS DISTINCT FROM (excluded.reason, excluded.detail);
    DELETE FROM migration.backfill_quarantine AS q
    WHERE q.legacy_id = ANY(legacy_ids)
        AND (q.legacy_id IN (SELECT legacy_id FROM pg_temp.sync_weeks)
            OR NOT EXISTS (SELECT 1 FROM public.habit_tracker AS h WHERE h.id = q.legacy_id));
    SELECT count(*) INTO n_quarantined FROM migration.backfill_quarantine WHERE legacy_id = ANY(legacy_ids);

    -- Weeks whose legacy row is gone or no longer maps: delete (habits and records cascade).
    DELETE FROM public.weeks AS w
    WHERE w.id IN (SELECT migration.week_id(i) FROM unnest(legacy_ids) AS i)
        AND w.id NOT IN (SELECT id FROM pg_temp.sync_weeks);
    GET DIAGNOSTICS n = ROW_COUNT;
    n_deleted := n_deleted + n;

    -- A mapping-written week holding this child-week under another id is stale: the
    -- duplicate_week rule lets only one clean legacy row claim a child-week.
    DELETE FROM public.weeks AS w USING pg_temp.sync_weeks AS s
    WHERE w.child_id = s.child_id AND w.week_start_date = s.week_start_date AND w.id <> s.id
        AND w.source_version IN ('migration', 'dual_write');
    GET DIAGNOSTICS n = ROW_COUNT;
    n_deleted := n_deleted + n;

    INSERT INTO public.children AS c (id, user_id, name, source_version, created_at)
    SELECT DISTINCT ON (w.child_id) w.child_id, w.user_id, w.child_name, source, w.created_at
    FROM pg_temp.sync_weeks AS w
    ORDER BY w.child_id, w.created_at
    ON CONFLICT (id) DO NOTHING;

    INSERT INTO public.weeks AS t (id, user_id, child_id, week_start_date, week_end_date, theme, reflection,
                                   reward, source_version, created_at, updated_at)
    SELECT w.id, w.user_id, w.child_id, w.week_start_date, w.week_end_date, w.theme, w.reflection, w.reward,
           source, w.created_at, w.updated_at
    FROM pg_temp.sync_weeks AS w
    ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, child_id = excluded.child_id,
        week_start_date = excluded.week_start_date, week_end_date = excluded.week_end_date,
        theme = excluded.theme, reflection = excluded.reflection, reward = excluded.reward,
        source_version = excluded.source_version
    WHERE (t.user_id, t.child_id, t.week_start_date, t.week_end_date, t.theme, t.reflection, t.reward)
        IS DISTINCT FROM (excluded.user_id, excluded.child_id, excluded.week_start_date, excluded.week_end_date,
                          excluded.theme, excluded.reflection, excluded.reward);
    GET DIAGNOSTICS n_weeks = ROW_COUNT;

    DELETE FROM public.habits AS h
    WHERE h.week_id IN (SELECT id FROM pg_temp.sync_weeks)
        AND h.id NOT IN (SELECT id FROM pg_temp.sync_habits);
    GET DIAGNOSTICS n = ROW_COUNT;
    n_deleted := n_deleted + n;

    INSERT INTO public.habits AS t (id, week_id, name, display_order, source_version)
    SELECT h.id, h.week_id, h.name, h.display_order, source FROM pg_temp.sync_habits AS h
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, display_order = excluded.display_order,
        source_version = excluded.source_version
    WHERE (t.name, t.display_order) IS DISTINCT FROM (excluded.name, excluded.display_order);
    GET DIAGNOSTICS n_habits = ROW_COUNT;

    DELETE FROM public.habit_records AS r
    WHERE r.habit_id IN (SELECT id FROM pg_temp.sync_habits)
        AND r.id NOT IN (SELECT id FROM pg_temp.sync_records);
    GET DIAGNOSTICS n = ROW_COUNT;
    n_deleted := n_deleted + n;

    INSERT INTO public.habit_records AS t (id, habit_id, record_date, status, source_version)
    SELECT r.id, r.habit_id, r.record_date, r.status, source FROM pg_temp.sync_records AS r
    ON CONFLICT (id) DO UPDATE SET record_date = excluded.record_date, status = excluded.status,
        source_version = excluded.source_version
    WHERE (t.record_date, t.status) IS DISTINCT FROM (excluded.record_date, excluded.status);
    GET DIAGNOSTICS n_records = ROW_COUNT;

    -- A child the mapping created goes once no week refers to it.
    DELETE FROM public.children AS c
    WHERE c.source_version IN ('migration', 'dual_write')
        AND c.id IN (SELECT migration.child_id(h.user_id, h.child_name) FROM public.habit_tracker AS h
                     WHERE h.id = ANY(legacy_ids) AND h.user_id IS NOT NULL)
        AND NOT EXISTS (SELECT 1 FROM public.weeks AS w WHERE w.child_id = c.id);
    GET DIAGNOSTICS n = ROW_COUNT;
    n_deleted := n_deleted + n;

    RETURN QUERY SELECT n_legacy, n_quarantined, n_weeks, n_habits, n_records, n_deleted;
END;
$$"""


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute("CREATE SCHEMA migration")
    op.execute("COMMENT ON SCHEMA migration IS 'The old -> new mapping of habit_tracker, and its quarantine'")
    op.execute(CREATE_SETTINGS)
    op.execute("INSERT INTO migration.settings (name, value) VALUES ('repair_sunday_starts', 'false')")
    op.execute(CREATE_QUARANTINE)
    op.execute(CREATE_PARSE_WEEK_PERIOD)
    op.execute(CREATE_REPAIR_SUNDAY_STARTS)
    op.execute(CREATE_WEEK_START)
    op.execute(CREATE_HABIT_ELEMENTS)
    op.execute(CREATE_LOCAL_PROBLEM)
    op.execute(CREATE_ROW_PROBLEM)
    for statement in CREATE_ID_FUNCTIONS:
        op.execute(statement)
    op.execute(CREATE_CLEAN_ROWS)
    op.execute(CREATE_EXPECTED_WEEKS)
    op.execute(CREATE_EXPECTED_CHILDREN)
    op.execute(CREATE_EXPECTED_HABITS)
    op.execute(CREATE_EXPECTED_RECORDS)
    op.execute(CREATE_EXPECTED_FINGERPRINTS)
    op.execute(CREATE_ACTUAL_FINGERPRINTS)
    op.execute(CREATE_SYNC_LEGACY_IDS)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute("DROP FUNCTION migration.sync_legacy_ids(BIGINT[], TEXT)")
    op.execute("DROP VIEW migration.actual_fingerprints")
    op.execute("DROP VIEW migration.expected_fingerprints")
    op.execute("DROP VIEW migration.expected_records")
    op.execute("DROP VIEW migration.expected_habits")
    op.execute("DROP VIEW migration.expected_children")
    op.execute("DROP VIEW migration.expected_weeks")
    op.execute("DROP VIEW migration.clean_legacy_rows")
    for statement in DROP_ID_FUNCTIONS:
        op.execute(statement)
    op.execute("DROP FUNCTION migration.row_problem(public.habit_tracker)")
    op.execute("DROP FUNCTION migration.local_problem(public.habit_tracker)")
    op.execute("DROP FUNCTION migration.habit_elements(JSONB)")
    op.execute("DROP FUNCTION migration.week_start(public.habit_tracker)")
    op.execute("DROP FUNCTION migration.repair_sunday_starts()")
    op.execute("DROP FUNCTION migration.parse_week_period(TEXT)")
    op.execute("DROP TABLE migration.backfill_quarantine")
    op.execute("DROP TABLE migration.settings")
    op.execute("DROP SCHEMA migration")
