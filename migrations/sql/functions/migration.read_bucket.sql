-- migration.read_bucket: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0032).
-- No revision runs this file: each runs its own frozen migration.read_bucket@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.read_bucket(user_id UUID)
RETURNS INTEGER
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT (('x' || left(md5(user_id::TEXT), 8))::BIT(32)::BIGINT % 100)::INTEGER $$;

-- statement
COMMENT ON FUNCTION migration.read_bucket(UUID) IS
'The read switch''s bucket of a user, 0-99: the first 32 bits of md5 of the uuid''s text, mod 100';

-- statement
REVOKE EXECUTE ON FUNCTION migration.read_bucket(UUID) FROM PUBLIC;
