-- migration.child_id: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0010, 0016, 0019).
-- No revision runs this file: each runs its own frozen migration.child_id@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.child_id(user_id UUID, name TEXT)
RETURNS UUID
LANGUAGE sql IMMUTABLE
AS $$ SELECT md5('habit_tracker/child/' || user_id::TEXT || '/' || name)::UUID $$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.child_id(UUID, TEXT) FROM PUBLIC;
