"""The dual-write endpoint's writes as database functions: one statement, one round trip a request

Revision: 0018_dual_write_functions
Revises: 0017_row_sync_generic_plans
Created: 2026-11-25 20:00:00

What and why
    The endpoint (#7, scripts/dual_write) ran each write as ten to twelve statements from
    Python: the session settings, the idempotency claim, the week lookup, the legacy write,
    the sibling lookup, the row sync, SET CONSTRAINTS, the quarantine verdict, the response's
    row, the stored response, COMMIT. Profiled over 300 warm one-day updates, the statements'
    own execution was 3.8 ms and the client saw 5.5 ms: about 0.17 ms a round trip of
    protocol, wake-ups and Python, and most of the endpoint's CPU. `make bench-api` shares
    two cores between the load generator, uvicorn and PostgreSQL, so that overhead is
    queueing for everyone else.

    migration.dual_write() is the whole write, called as one statement in autocommit: its
    implicit transaction is the request's. It does what the Python did, in the same order
    and with the same rules:

    - the key (unique per user since 0014) is claimed with INSERT ... ON CONFLICT DO NOTHING:
      a concurrent request with the same key waits for the first to finish, then (each
      statement of a volatile function takes a new snapshot) finds its completed row and
      replays the stored response, or claims the key itself if the first rolled back. The
      same key with another operation or data is refused; a key past expires_at is taken
      over under its row lock. The claim, the write and the stored response commit together
      or not at all: nothing is left 'processing'.
    - create_week inserts the legacy row (its week_period written as the app writes it,
      migration.week_label()), update_habit_record sets one day of the first habit of that
      name (padding a short times array), delete_week deletes the row. The row the user's
      child-week lookup finds is the one the mapping lets claim it, locked.
    - then migration.sync_legacy_row() (0012, 0016) maps the row and the other rows of its
      child-week into the new tables with source_version 'dual_write', under the per-child
      lock; the deferred uniques are checked at once; a row the mapping quarantines is
      refused with its reason, and the statement's failure undoes all of it.

    Every rule stays where it was written: the mapping, the classification and the sync are
    0010-0016's functions, called, not restated. The function turns the trigger's skip switch
    on (set_config(..., TRUE) in its body, put back as the caller had it before it returns;
    an error undoes it with the transaction or the caller's savepoint), so the trigger does
    not queue the endpoint's own writes, and runs with lock_timeout 2s; the caller sets
    statement_timeout.

    Edited in place (2026-11-29), the one exception to "a released revision is never edited":
    as first written, this revision gave dual_write() the skip switch as a SET clause,
    `ALTER FUNCTION ... SET "migration.skip_sync_trigger" = 'on'`. On Supabase the migration
    role `postgres` is not a superuser, and only a superuser may attach a custom parameter to
    a function: `make upgrade` failed there with 42501 (permission denied to set parameter)
    and the database stayed at 0017. So this revision was never applied to the real
    database, and changing it changes no database that exists. Only how the switch is set
    changed; what the function does is the same (test_dual_write_functions).

    Errors use PostgREST's convention, so the function answers the same way whoever calls
    it: SQLSTATE 'PTnnn' is HTTP status nnn, MESSAGE the human message, DETAIL the error
    code, HINT the request field (404 week_not_found / habit_not_found, 409 week_exists /
    idempotency_key_busy, 422 invalid_data / idempotency_key_reused). Success returns
    {"status", "body", "replayed"}; the stored response is {"status", "body"}, the shape the
    Python endpoint stored, so keys claimed before this revision still replay.

    EXECUTE is revoked from PUBLIC on every function here: they take the user id as an
    argument and trust it, so only the endpoint's own role (the owner) may call them; anon
    and authenticated have no USAGE on schema migration either.

Locks taken, and for how long
    CREATE FUNCTION, REVOKE and ALTER FUNCTION ... SET only: catalog rows, no table lock. Timeouts: lock_timeout
    '5s', statement_timeout '60s'. At run time a call locks what the Python did: the key's
    idempotency_log row, the legacy row (FOR UPDATE), the per-child advisory lock of the
    sync, and the rows the sync writes, until its statement commits.

How to verify
    SELECT p.oid::REGPROCEDURE, p.proconfig, has_function_privilege('authenticated', p.oid, 'EXECUTE')
    FROM pg_proc AS p WHERE p.proname LIKE 'dual_write%';
    -- seven functions; dual_write() with lock_timeout and generic plans; f
    `make verify` (idempotency_log check); `make demo`; `make bench-api`.

Deploying and rolling back
    Upgrade first, then restart `make serve`: from this revision on the endpoint calls
    migration.dual_write() and, against an older database, answers 503 naming this
    revision. `make downgrade` (to 0017) drops the seven functions: stop the endpoint first
    (the plan's Scenario 1: the trigger keeps syncing the app's direct writes), and run the
    endpoint of the previous release if it must stay up. No data is created here.
"""
from alembic import op

revision = "0018_dual_write_functions"
down_revision = "0017_row_sync_generic_plans"
branch_labels = None
depends_on = None

# The legacy table's week label for a Monday: `2025년 7월 21일 ~ 2025년 7월 27일` (no zero
# padding, end = start + 6 days), as the app writes it (SCHEMA_FACTS; seed_legacy.week_label).
CREATE_WEEK_LABEL = """\
CREATE FUNCTION migration.week_label(monday DATE)
RETURNS TEXT
LANGUAGE sql IMMUTABLE
AS $$
    SELECT extract(YEAR FROM monday)::INTEGER::TEXT || '년 ' || extract(MONTH FROM monday)::INTEGER::TEXT || '월 '
           || extract(DAY FROM monday)::INTEGER::TEXT || '일 ~ '
           || extract(YEAR FROM monday + 6)::INTEGER::TEXT || '년 ' || extract(MONTH FROM monday + 6)::INTEGER::TEXT
           || '월 ' || extract(DAY FROM monday + 6)::INTEGER::TEXT || '일'
$$"""

# The legacy row of a user's child-week that the mapping lets claim it (locally clean, oldest),
# locked for the write; 404 when there is none. child_week_ids() in FROM is inlined (index
# idx_habit_tracker_user_child_week); local_problem() only decides between two or more rows.
CREATE_FIND_WEEK = """\
CREATE FUNCTION migration.dual_write_find_week(acting_user UUID, request JSONB)
RETURNS BIGINT
LANGUAGE plpgsql
AS $$
DECLARE
    child TEXT := request ->> 'child_name';
    monday DATE := (request ->> 'week_start_date')::DATE;
    found_id BIGINT;
BEGIN
    IF extract(ISODOW FROM monday) <> 1 THEN  -- no week starts on another day (ck_weeks_start_monday)
        RAISE EXCEPTION USING ERRCODE = 'PT422', DETAIL = 'invalid_data', HINT = 'data.week_start_date',
            MESSAGE = format('%s is not a Monday: weeks start on Monday', monday);
    END IF;
    SELECT h.id INTO found_id
    FROM migration.child_week_ids(acting_user, child, monday) AS w (id)
    INNER JOIN public.habit_tracker AS h ON w.id = h.id
    ORDER BY EXISTS (SELECT 1 FROM migration.local_problem(h) AS p
                     WHERE (SELECT count(*) FROM migration.child_week_ids(acting_user, child, monday)) > 1), h.id
    LIMIT 1
    FOR UPDATE OF h;
    IF found_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT404', DETAIL = 'week_not_found',
            MESSAGE = format('no week of %L starting %s', child, monday);
    END IF;
    RETURN found_id;
END;
$$"""

# The row and the other rows of its child-week (siblings; NULL: the row's own now: their
# duplicate_week verdict depends on it), synced as the trigger would; the deferred uniques of
# the new tables checked now. Then (unless status_field is NULL: the row was deleted) the
# sync's verdict: a quarantined row is refused with the mapping's reason, naming status_field
# for an unknown status.
CREATE_SYNC_AND_CHECK = """\
CREATE FUNCTION migration.dual_write_sync(target_id BIGINT, siblings BIGINT[], previous_child UUID, status_field TEXT)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    sibling BIGINT;
    verdict RECORD;
BEGIN
    PERFORM migration.sync_legacy_row(target_id, 'dual_write', previous_child);
    -- Written out, not a SQL function: that one (a sub-select: not inlinable) was planned on
    -- every call, 3 ms a request.
    FOREACH sibling IN ARRAY coalesce(siblings, ARRAY(
        SELECT s.id FROM public.habit_tracker AS h, migration.child_week_rows(h) AS s (id) WHERE h.id = target_id
    )) LOOP
        PERFORM migration.sync_legacy_row(sibling, 'dual_write');
    END LOOP;
    SET CONSTRAINTS ALL IMMEDIATE;

    IF status_field IS NULL THEN  -- the row was deleted: no verdict to read
        RETURN;
    END IF;
    SELECT q.reason, q.detail INTO verdict FROM migration.backfill_quarantine AS q WHERE q.legacy_id = target_id;
    IF NOT FOUND THEN
        RETURN;
    ELSIF verdict.reason = 'duplicate_week' THEN
        RAISE EXCEPTION USING ERRCODE = 'PT409', DETAIL = 'week_exists',
            MESSAGE = 'this child already has a week starting on that Monday';
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'PT422', DETAIL = 'invalid_data', MESSAGE = verdict.reason || ': ' || verdict.detail,
        HINT = CASE
            WHEN verdict.reason = 'unknown_status' THEN status_field
            WHEN verdict.reason = 'bad_child_name' THEN 'data.child_name'
            WHEN verdict.reason IN ('no_week_start', 'not_monday') THEN 'data.week_start_date'
            WHEN verdict.reason IN ('habits_not_array', 'bad_habit', 'bad_habit_name', 'duplicate_habit_name',
                                    'times_not_array', 'times_too_long') THEN 'data.habits'
            ELSE 'data'
        END;
END;
$$"""

CREATE_CREATE_WEEK = """\
CREATE FUNCTION migration.dual_write_create_week(acting_user UUID, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    monday DATE := (request ->> 'week_start_date')::DATE;
    created_id BIGINT;
    body JSONB;
BEGIN
    -- habit_tracker_child_week_unique is global in the legacy table: any user's row conflicts.
    INSERT INTO public.habit_tracker (child_name, week_period, week_start_date, habits, user_id, theme, reflection,
                                      reward)
    VALUES (request ->> 'child_name', migration.week_label(monday), monday, request -> 'habits', acting_user,
            request ->> 'theme', nullif(request -> 'reflection', 'null'::JSONB), request ->> 'reward')
    ON CONFLICT (child_name, week_period) DO NOTHING
    RETURNING id INTO created_id;
    IF created_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT409', DETAIL = 'week_exists',
            MESSAGE = 'a week of this child name starting on that Monday already exists';
    END IF;

    PERFORM migration.dual_write_sync(created_id, NULL, NULL, 'data.habits');

    SELECT jsonb_build_object(
        'operation', 'create_week', 'legacy_id', created_id, 'week_id', w.id, 'child_id', w.child_id,
        'habits', (SELECT count(*) FROM public.habits AS x WHERE x.week_id = w.id),
        'records', (SELECT count(*) FROM public.habit_records AS r INNER JOIN public.habits AS x ON r.habit_id = x.id
                    WHERE x.week_id = w.id))
    INTO body
    FROM public.weeks AS w WHERE w.id = migration.week_id(created_id);
    RETURN jsonb_build_object('status', 201, 'body', body);
END;
$$"""

# One day of the first habit of that name; a times array shorter than the week is padded with
# '' first, so the day lands at its own index.
CREATE_UPDATE_HABIT_RECORD = """\
CREATE FUNCTION migration.dual_write_update_habit_record(acting_user UUID, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    target_id BIGINT := migration.dual_write_find_week(acting_user, request);
    day_index INTEGER := (request ->> 'day_index')::INTEGER;
    habit_pos INTEGER;
    body JSONB;
BEGIN
    UPDATE public.habit_tracker AS h
    SET habits = jsonb_set(h.habits, ARRAY[p.pos::TEXT, 'times'], (
            SELECT jsonb_agg(CASE WHEN d = day_index THEN request -> 'status'
                                  ELSE coalesce(h.habits -> p.pos -> 'times' -> d, '""') END ORDER BY d)
            FROM generate_series(0, greatest(6, jsonb_array_length(coalesce(h.habits -> p.pos -> 'times', '[]')) - 1))
                AS d)),
        updated_at = now()
    FROM (SELECT e.pos FROM public.habit_tracker AS x, migration.habit_elements(x.habits) AS e
          WHERE x.id = target_id AND e.element ->> 'name' = request ->> 'habit_name' ORDER BY e.pos LIMIT 1) AS p
    WHERE h.id = target_id
    RETURNING p.pos INTO habit_pos;
    IF habit_pos IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT404', DETAIL = 'habit_not_found',
            MESSAGE = format('the week has no habit named %L', request ->> 'habit_name');
    END IF;

    PERFORM migration.dual_write_sync(target_id, NULL, NULL, 'data.status');

    SELECT jsonb_build_object(
        'operation', 'update_habit_record', 'legacy_id', target_id, 'habit_id', migration.habit_id(target_id, habit_pos),
        'record_date', migration.week_start(h) + day_index,
        'status', coalesce((SELECT r.status FROM public.habit_records AS r
                            WHERE r.id = migration.record_id(target_id, habit_pos, day_index)), ''))
    INTO body
    FROM public.habit_tracker AS h WHERE h.id = target_id;
    RETURN jsonb_build_object('status', 200, 'body', body);
END;
$$"""

CREATE_DELETE_WEEK = """\
CREATE FUNCTION migration.dual_write_delete_week(acting_user UUID, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    target_id BIGINT := migration.dual_write_find_week(acting_user, request);
    siblings BIGINT[];
    previous_child UUID;
BEGIN
    -- The other rows of its child-week, read before the row is gone.
    siblings := ARRAY(SELECT s.id FROM public.habit_tracker AS h, migration.child_week_rows(h) AS s (id)
                      WHERE h.id = target_id);
    DELETE FROM public.habit_tracker AS h WHERE h.id = target_id
    RETURNING migration.child_id(h.user_id, h.child_name) INTO previous_child;
    PERFORM migration.dual_write_sync(target_id, siblings, previous_child, NULL);
    RETURN jsonb_build_object('status', 200,
                              'body', jsonb_build_object('operation', 'delete_week', 'legacy_id', target_id,
                                                         'deleted', TRUE));
END;
$$"""

# The request, exactly once per (user, key): claimed, run and its response stored in the
# caller's one transaction, or the stored response replayed.
CREATE_DUAL_WRITE = """\
CREATE FUNCTION migration.dual_write(acting_user UUID, idempotency_key TEXT, requested_operation TEXT, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    fingerprint JSONB := jsonb_build_object('operation', requested_operation, 'data', request);
    log_id UUID;
    held RECORD;
    response JSONB;
    callers_skip_switch TEXT := coalesce(current_setting('migration.skip_sync_trigger', TRUE), '');
BEGIN
    -- This function writes both schemas itself: the trigger must not queue its legacy writes.
    PERFORM set_config('migration.skip_sync_trigger', 'on', TRUE);
    -- Twice at most: a row seen in conflict may be deleted (expired, cleaned up) before it is read.
    FOR attempt IN 1..2 LOOP
        INSERT INTO public.idempotency_log (user_id, key, operation, request_data, status)
        VALUES (acting_user, idempotency_key, requested_operation, fingerprint, 'processing')
        ON CONFLICT (user_id, key) DO NOTHING
        RETURNING id INTO log_id;
        EXIT WHEN log_id IS NOT NULL;

        SELECT l.id, l.request_data = fingerprint AS same_request, l.response_data, l.expires_at <= now() AS expired
        INTO held
        FROM public.idempotency_log AS l WHERE l.user_id = acting_user AND l.key = idempotency_key
        FOR UPDATE;
        CONTINUE WHEN NOT FOUND;
        IF held.expired THEN
            UPDATE public.idempotency_log
            SET operation = requested_operation, request_data = fingerprint, response_data = NULL,
                status = 'processing', created_at = now(), expires_at = now() + INTERVAL '24 hours'
            WHERE id = held.id;
            log_id := held.id;
            EXIT;
        ELSIF NOT held.same_request THEN
            RAISE EXCEPTION USING ERRCODE = 'PT422', DETAIL = 'idempotency_key_reused', HINT = 'X-Idempotency-Key',
                MESSAGE = 'this X-Idempotency-Key was already used for a different request';
        END IF;
        PERFORM set_config('migration.skip_sync_trigger', callers_skip_switch, TRUE);
        RETURN held.response_data || jsonb_build_object('replayed', TRUE);
    END LOOP;
    IF log_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT409', DETAIL = 'idempotency_key_busy',
            MESSAGE = 'this X-Idempotency-Key is being cleaned up; retry';
    END IF;

    response := CASE requested_operation
        WHEN 'create_week' THEN migration.dual_write_create_week(acting_user, request)
        WHEN 'update_habit_record' THEN migration.dual_write_update_habit_record(acting_user, request)
        WHEN 'delete_week' THEN migration.dual_write_delete_week(acting_user, request)
    END;
    IF response IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT400', DETAIL = 'unknown_operation',
            MESSAGE = format('unknown write operation %L', requested_operation);
    END IF;

    UPDATE public.idempotency_log SET status = 'completed', response_data = response WHERE id = log_id;
    PERFORM set_config('migration.skip_sync_trigger', callers_skip_switch, TRUE);
    RETURN response || jsonb_build_object('replayed', FALSE);
END;
$$"""

# dual_write()'s own settings while it runs (restored when it returns): no lock waited for
# longer than a person would; its statements (and the sync's) planned once per session, as
# 0017 does for the sync. (The trigger's skip switch is set in its body: see the docstring.)
DUAL_WRITE_SETTINGS = (
    "ALTER FUNCTION migration.dual_write(UUID, TEXT, TEXT, JSONB) SET lock_timeout = '2s'",
    "ALTER FUNCTION migration.dual_write(UUID, TEXT, TEXT, JSONB) SET plan_cache_mode = force_generic_plan",
)

# (signature, CREATE), in creation order; dropped in the reverse order.
FUNCTIONS = (
    ("migration.week_label(DATE)", CREATE_WEEK_LABEL),
    ("migration.dual_write_find_week(UUID, JSONB)", CREATE_FIND_WEEK),
    ("migration.dual_write_sync(BIGINT, BIGINT[], UUID, TEXT)", CREATE_SYNC_AND_CHECK),
    ("migration.dual_write_create_week(UUID, JSONB)", CREATE_CREATE_WEEK),
    ("migration.dual_write_update_habit_record(UUID, JSONB)", CREATE_UPDATE_HABIT_RECORD),
    ("migration.dual_write_delete_week(UUID, JSONB)", CREATE_DELETE_WEEK),
    ("migration.dual_write(UUID, TEXT, TEXT, JSONB)", CREATE_DUAL_WRITE),
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for signature, create in FUNCTIONS:
        op.execute(create)
        op.execute(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC")
    for setting in DUAL_WRITE_SETTINGS:
        op.execute(setting)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("SET LOCAL statement_timeout = '60s'")
    for signature, _ in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION {signature}")
