-- migration.carry_habit_owner: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0033).
-- No revision runs this file: each runs its own frozen migration.carry_habit_owner@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.carry_habit_owner()
RETURNS TRIGGER
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    -- A habit moved to another week: its records take that week's owner (fill_record_owner
    -- computes it again from the habit, the one source of truth).
    UPDATE public.habit_records AS r
    SET user_id = (SELECT w.user_id FROM public.weeks AS w WHERE w.id = NEW.week_id)
    WHERE r.habit_id = NEW.id;
    RETURN NULL;
END;
$$;

-- statement
COMMENT ON FUNCTION migration.carry_habit_owner() IS
    'A habit moved to another week carries the new owner to its records (trigger carry_habits_owner_to_records, 0033)';

-- statement
REVOKE EXECUTE ON FUNCTION migration.carry_habit_owner() FROM PUBLIC;
