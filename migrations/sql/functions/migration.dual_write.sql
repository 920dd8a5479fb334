-- migration.dual_write: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0018, 0038, 0040).
-- No revision runs this file: each runs its own frozen migration.dual_write@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.dual_write(acting_user UUID, idempotency_key TEXT, requested_operation TEXT, request JSONB)
RETURNS JSONB
LANGUAGE plpgsql
AS $$
DECLARE
    fingerprint JSONB := jsonb_build_object('operation', requested_operation, 'data', request);
    log_id UUID;
    held RECORD;
    response JSONB;
BEGIN
    -- After the drop (0040): the idempotency log as 0018 keeps it; the writes go to the new
    -- tables (migration.endpoint_*), which name a week by its child and Monday.
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
        RETURN held.response_data || jsonb_build_object('replayed', TRUE);
    END LOOP;
    IF log_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT409', DETAIL = 'idempotency_key_busy',
            MESSAGE = 'this X-Idempotency-Key is being cleaned up; retry';
    END IF;

    response := CASE requested_operation
        WHEN 'create_week' THEN migration.endpoint_create_week(acting_user, request)
        WHEN 'update_habit_record' THEN migration.endpoint_update_habit_record(acting_user, request)
        WHEN 'delete_week' THEN migration.endpoint_delete_week(acting_user, request)
    END;
    IF response IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT400', DETAIL = 'unknown_operation',
            MESSAGE = format('unknown write operation %L', requested_operation);
    END IF;

    UPDATE public.idempotency_log SET status = 'completed', response_data = response WHERE id = log_id;
    RETURN response || jsonb_build_object('replayed', FALSE);
END;
$$;

-- statement
ALTER FUNCTION migration.dual_write(UUID, TEXT, TEXT, JSONB) SET lock_timeout = '2s';

-- statement
ALTER FUNCTION migration.dual_write(UUID, TEXT, TEXT, JSONB) SET plan_cache_mode = force_generic_plan;

-- statement
REVOKE EXECUTE ON FUNCTION migration.dual_write(UUID, TEXT, TEXT, JSONB) FROM PUBLIC;
