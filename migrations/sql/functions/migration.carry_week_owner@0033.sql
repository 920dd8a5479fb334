-- migration.carry_week_owner (function): the statements revision 0033_records_owner_column ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.carry_week_owner.sql.

-- statement
CREATE FUNCTION migration.carry_week_owner()
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
