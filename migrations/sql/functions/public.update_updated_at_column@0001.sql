-- public.update_updated_at_column (function): the statements revision 0001_legacy_baseline ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/public.update_updated_at_column.sql.

-- statement
CREATE FUNCTION update_updated_at_column()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$;
