-- migration.fill_record_owner: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0033).
-- No revision runs this file: each runs its own frozen migration.fill_record_owner@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.fill_record_owner()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    -- The owner of the record's habit's week, whoever writes: SECURITY DEFINER, so that the
    -- app's write of a record on another user's habit gets that user as owner and is refused
    -- by the policy's WITH CHECK (42501), as any RLS refusal. It reads two rows by primary
    -- key and returns nothing but the row being written.
    SELECT w.user_id INTO NEW.user_id
    FROM public.habits AS h
    INNER JOIN public.weeks AS w ON h.week_id = w.id
    WHERE h.id = NEW.habit_id;
    IF NEW.user_id IS NULL THEN
        RAISE EXCEPTION 'habit_records.habit_id % names no habit', NEW.habit_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END;
$$;

-- statement
COMMENT ON FUNCTION migration.fill_record_owner() IS
    'habit_records.user_id is always the owner of the record''s week (trigger fill_habit_records_user_id, 0033)';

-- statement
REVOKE EXECUTE ON FUNCTION migration.fill_record_owner() FROM PUBLIC;
