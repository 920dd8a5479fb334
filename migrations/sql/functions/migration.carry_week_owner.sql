-- migration.carry_week_owner: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0033).
-- No revision runs this file: each runs its own frozen migration.carry_week_owner@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.carry_week_owner()
RETURNS TRIGGER
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    -- A week given to another user: the records of its habits follow.
    UPDATE public.habit_records AS r
    SET user_id = NEW.user_id
    FROM public.habits AS h
    WHERE h.week_id = NEW.id AND r.habit_id = h.id;
    RETURN NULL;
END;
$$;

-- statement
COMMENT ON FUNCTION migration.carry_week_owner() IS
    'A week given to another user carries the owner to its records (trigger carry_weeks_owner_to_records, 0033)';

-- statement
REVOKE EXECUTE ON FUNCTION migration.carry_week_owner() FROM PUBLIC;
