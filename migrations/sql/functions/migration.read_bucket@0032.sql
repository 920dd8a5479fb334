-- migration.read_bucket (function): the statements revision 0032_read_switch ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is functions/migration.read_bucket.sql.

-- statement
CREATE FUNCTION migration.read_bucket(user_id UUID)
RETURNS INTEGER
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT (('x' || left(md5(user_id::TEXT), 8))::BIT(32)::BIGINT % 100)::INTEGER $$;

-- statement
COMMENT ON FUNCTION migration.read_bucket(UUID) IS
'The read switch''s bucket of a user, 0-99: the first 32 bits of md5 of the uuid''s text, mod 100';

-- statement
REVOKE EXECUTE ON FUNCTION migration.read_bucket(UUID) FROM PUBLIC;
