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

# `-- noqa: CP05` in the SQL below: sqlfluff reads a table's row type (public.habit_tracker) as a
# datatype to capitalise; it is the table's name.
CREATE_WEEK_START = """\
CREATE FUNCTION migration.week_start(h public.habit_tracker)  -- noqa: CP05
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
CREATE FUNCTION migration.local_problem(h public.habit_tracker)  -- noqa: CP05
RETURNS TABLE (reason TEXT, detail TEXT)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    monday DATE := migration.week_start(h);
    e RECORD;
    d RECORD;
BEGIN
    IF h.user_id IS NULL THEN
        RETURN QUERY SELECT 'no_user', 'user_id is NULL';
    ELSIF char_length(h.child_name) NOT BETWEEN 1 AND 100 THEN
        RETURN QUERY SELECT 'bad_child_name', format('child_name has %s characters', char_length(h.child_name));
    ELSIF monday IS NULL THEN
        RETURN QUERY SELECT 'no_week_start', format('week_start_date NULL and week_period %L unreadable', h.week_period);
    ELSIF extract(DOW FROM monday) <> 1 THEN
        RETURN QUERY SELECT 'not_monday', format('week starts %s, a %s', monday, to_char(monday, 'FMDay'));
    ELSIF h.habits IS NOT NULL AND jsonb_typeof(h.habits) NOT IN ('array', 'null') THEN
        RETURN QUERY SELECT 'habits_not_array', format('habits is a JSON %s', jsonb_typeof(h.habits));
    ELSE
        -- One pass over the habits: the first problem found, in the element order.
        SELECT
            min(x.pos) FILTER (WHERE x.name IS NULL) AS no_name,
            min(x.pos) FILTER (WHERE char_length(x.name) NOT BETWEEN 1 AND 200) AS bad_name,
            count(x.name) - count(DISTINCT x.name) AS duplicate_names,
            min(x.pos) FILTER (WHERE jsonb_typeof(x.times) NOT IN ('array', 'null')) AS times_not_array
        INTO e
        FROM (
            SELECT el.pos,
                   CASE WHEN jsonb_typeof(el.element -> 'name') = 'string' THEN el.element ->> 'name' END AS name,
                   CASE WHEN jsonb_typeof(el.element) = 'object' THEN el.element -> 'times' END AS times
            FROM migration.habit_elements(h.habits) AS el
        ) AS x;
        IF e.no_name IS NOT NULL THEN
            RETURN QUERY SELECT 'bad_habit', format('habit %s has no text name', e.no_name);
            RETURN;
        ELSIF e.bad_name IS NOT NULL THEN
            RETURN QUERY SELECT 'bad_habit_name', format('habit %s name is empty or over 200 characters', e.bad_name);
            RETURN;
        ELSIF e.duplicate_names > 0 THEN
            RETURN QUERY SELECT 'duplicate_habit_name', format('%s repeated habit names', e.duplicate_names);
            RETURN;
        ELSIF e.times_not_array IS NOT NULL THEN
            RETURN QUERY SELECT 'times_not_array', format('habit %s times is not an array', e.times_not_array);
            RETURN;
        END IF;
        SELECT
            min(el.pos) FILTER (WHERE day.n > 7 AND day.status NOT IN ('""', 'null')) AS too_long,
            min(el.pos) FILTER (
                WHERE day.n <= 7 AND day.status NOT IN ('""', 'null', '"green"', '"yellow"', '"red"', '"none"')
            ) AS unknown,
            min(day.status::TEXT) FILTER (
                WHERE day.n <= 7 AND day.status NOT IN ('""', 'null', '"green"', '"yellow"', '"red"', '"none"')
            ) AS unknown_value
        INTO d
        FROM migration.habit_elements(h.habits) AS el
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE WHEN jsonb_typeof(el.element -> 'times') = 'array' THEN el.element -> 'times' ELSE '[]'::JSONB END
        ) WITH ORDINALITY AS day (status, n);
        IF d.too_long IS NOT NULL THEN
            RETURN QUERY SELECT 'times_too_long', format('habit %s has a non-empty day past Sunday', d.too_long);
        ELSIF d.unknown IS NOT NULL THEN
            RETURN QUERY SELECT 'unknown_status', format('habit %s holds %s', d.unknown, d.unknown_value);
        END IF;
    END IF;
END;
$$"""

CREATE_ROW_PROBLEM = """\
CREATE FUNCTION migration.row_problem(h public.habit_tracker)  -- noqa: CP05
RETURNS TABLE (reason TEXT, detail TEXT)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    monday DATE;
    claimed_by BIGINT;
BEGIN
    RETURN QUERY SELECT p.reason, p.detail FROM migration.local_problem(h) AS p;
    IF FOUND THEN
        RETURN;
    END IF;
    -- Only one clean legacy row may claim a child-week: the oldest.
    monday := migration.week_start(h);
    SELECT min(o.id) INTO claimed_by
    FROM public.habit_tracker AS o
    WHERE o.user_id = h.user_id AND o.child_name = h.child_name AND o.id < h.id
        AND (o.week_start_date IN (monday, monday - 1) OR o.week_start_date IS NULL)
        AND migration.week_start(o) = monday
        AND NOT EXISTS (SELECT 1 FROM migration.local_problem(o));
    IF claimed_by IS NOT NULL THEN
        RETURN QUERY SELECT 'duplicate_week', format('legacy row %s already maps to this child and week', claimed_by);
    END IF;
END;
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

# The three expansions of one clean legacy row. The views below and sync_legacy_ids() both
# call them, so the rules exist once.
CREATE_MAP_WEEK = """\
CREATE FUNCTION migration.map_week(h public.habit_tracker, monday DATE)  -- noqa: CP05
RETURNS TABLE (legacy_id BIGINT, id UUID, user_id UUID, child_id UUID, child_name TEXT, week_start_date DATE,
               week_end_date DATE, theme TEXT, reflection JSONB, reward TEXT, created_at TIMESTAMPTZ,
               updated_at TIMESTAMPTZ)
LANGUAGE sql STABLE
AS $$
    SELECT h.id, migration.week_id(h.id), h.user_id, migration.child_id(h.user_id, h.child_name), h.child_name,
           monday, monday + 6, h.theme, h.reflection, h.reward,
           coalesce(h.created_at, now()), coalesce(h.updated_at, now())
$$"""

CREATE_MAP_HABITS = """\
CREATE FUNCTION migration.map_habits(legacy_id BIGINT, habits JSONB)
RETURNS TABLE (legacy_id BIGINT, id UUID, week_id UUID, name TEXT, display_order INTEGER)
LANGUAGE sql IMMUTABLE
AS $$
    SELECT legacy_id, migration.habit_id(legacy_id, e.pos), migration.week_id(legacy_id),
           e.element ->> 'name', e.pos
    FROM migration.habit_elements(habits) AS e
$$"""

CREATE_MAP_RECORDS = """\
CREATE FUNCTION migration.map_records(legacy_id BIGINT, monday DATE, habits JSONB)
RETURNS TABLE (legacy_id BIGINT, id UUID, habit_id UUID, record_date DATE, status TEXT)
LANGUAGE sql IMMUTABLE
AS $$
    SELECT legacy_id, migration.record_id(legacy_id, e.pos, (d.n - 1)::INTEGER),
           migration.habit_id(legacy_id, e.pos), monday + (d.n - 1)::INTEGER, d.status
    FROM migration.habit_elements(habits) AS e
    CROSS JOIN LATERAL jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(e.element -> 'times') = 'array' THEN e.element -> 'times' ELSE '[]'::JSONB END
    ) WITH ORDINALITY AS d (status, n)
    WHERE d.n <= 7 AND d.status <> ''
$$"""

# Every legacy row with its Monday and, when it cannot be migrated, why.
CREATE_CLASSIFIED_ROWS = """\
CREATE VIEW migration.classified_legacy_rows AS
SELECT h AS legacy, h.id AS legacy_id, migration.week_start(h) AS monday, p.reason, p.detail
FROM public.habit_tracker AS h
LEFT JOIN LATERAL migration.row_problem(h) AS p ON TRUE"""

CREATE_EXPECTED_WEEKS = """\
CREATE VIEW migration.expected_weeks AS
SELECT w.*
FROM migration.classified_legacy_rows AS c
CROSS JOIN LATERAL migration.map_week(c.legacy, c.monday) AS w
WHERE c.reason IS NULL"""

CREATE_EXPECTED_CHILDREN = """\
CREATE VIEW migration.expected_children AS
SELECT w.child_id AS id, w.user_id, w.child_name AS name, min(w.created_at) AS created_at
FROM migration.expected_weeks AS w
GROUP BY w.child_id, w.user_id, w.child_name"""

CREATE_EXPECTED_HABITS = """\
CREATE VIEW migration.expected_habits AS
SELECT m.*
FROM migration.classified_legacy_rows AS c
CROSS JOIN LATERAL migration.map_habits(c.legacy_id, (c.legacy).habits) AS m
WHERE c.reason IS NULL"""

CREATE_EXPECTED_RECORDS = """\
CREATE VIEW migration.expected_records AS
SELECT m.*
FROM migration.classified_legacy_rows AS c
CROSS JOIN LATERAL migration.map_records(c.legacy_id, c.monday, (c.legacy).habits) AS m
WHERE c.reason IS NULL"""

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

    -- Classify each legacy row once; weeks, habits and records all expand from this.
    DROP TABLE IF EXISTS pg_temp.sync_rows;
    CREATE TEMP TABLE sync_rows ON COMMIT DROP AS
    SELECT * FROM migration.classified_legacy_rows WHERE legacy_id = ANY(legacy_ids);
    DROP TABLE IF EXISTS pg_temp.sync_weeks;
    CREATE TEMP TABLE sync_weeks ON COMMIT DROP AS
    SELECT w.* FROM pg_temp.sync_rows AS c CROSS JOIN LATERAL migration.map_week(c.legacy, c.monday) AS w
    WHERE c.reason IS NULL;
    DROP TABLE IF EXISTS pg_temp.sync_habits;
    CREATE TEMP TABLE sync_habits ON COMMIT DROP AS
    SELECT m.* FROM pg_temp.sync_rows AS c CROSS JOIN LATERAL migration.map_habits(c.legacy_id, (c.legacy).habits) AS m
    WHERE c.reason IS NULL;
    DROP TABLE IF EXISTS pg_temp.sync_records;
    CREATE TEMP TABLE sync_records ON COMMIT DROP AS
    SELECT m.* FROM pg_temp.sync_rows AS c
    CROSS JOIN LATERAL migration.map_records(c.legacy_id, c.monday, (c.legacy).habits) AS m
    WHERE c.reason IS NULL;
    SELECT count(*) INTO n_legacy FROM pg_temp.sync_rows;

    -- Quarantine: record why each unmappable row is out, release the rows that map again.
    INSERT INTO migration.backfill_quarantine AS q (legacy_id, reason, detail)
    SELECT c.legacy_id, c.reason, c.detail FROM pg_temp.sync_rows AS c WHERE c.reason IS NOT NULL
    ON CONFLICT (legacy_id) DO UPDATE SET reason = excluded.reason, detail = excluded.detail,
        quarantined_at = now()
    WHERE (q.reason, q.detail) IS DISTINCT FROM (excluded.reason, excluded.detail);
    DELETE FROM migration.backfill_quarantine AS q
    WHERE q.legacy_id = ANY(legacy_ids)
        AND NOT EXISTS (SELECT 1 FROM pg_temp.sync_rows AS c WHERE c.legacy_id = q.legacy_id AND c.reason IS NOT NULL);
    SELECT count(*) INTO n_quarantined FROM pg_temp.sync_rows WHERE reason IS NOT NULL;

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
        AND c.id IN (SELECT migration.child_id((s.legacy).user_id, (s.legacy).child_name) FROM pg_temp.sync_rows AS s
                     WHERE (s.legacy).user_id IS NOT NULL)
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
    op.execute(CREATE_MAP_WEEK)
    op.execute(CREATE_MAP_HABITS)
    op.execute(CREATE_MAP_RECORDS)
    op.execute(CREATE_CLASSIFIED_ROWS)
    op.execute(CREATE_EXPECTED_WEEKS)
    op.execute(CREATE_EXPECTED_CHILDREN)
    op.execute(CREATE_EXPECTED_HABITS)
    op.execute(CREATE_EXPECTED_RECORDS)
    op.execute(CREATE_SYNC_LEGACY_IDS)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    op.execute("DROP FUNCTION migration.sync_legacy_ids(BIGINT[], TEXT)")
    op.execute("DROP VIEW migration.expected_records")
    op.execute("DROP VIEW migration.expected_habits")
    op.execute("DROP VIEW migration.expected_children")
    op.execute("DROP VIEW migration.expected_weeks")
    op.execute("DROP VIEW migration.classified_legacy_rows")
    op.execute("DROP FUNCTION migration.map_records(BIGINT, DATE, JSONB)")
    op.execute("DROP FUNCTION migration.map_habits(BIGINT, JSONB)")
    op.execute("DROP FUNCTION migration.map_week(public.habit_tracker, DATE)")
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
