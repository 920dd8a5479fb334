-- public: what the API roles hold on the tables and sequences of schema public, as the database holds it at head (revisions 0019).
-- No revision runs this file: each runs its own frozen public@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
REVOKE ALL ON TABLE public.habit_tracker FROM anon, authenticated, service_role;

-- statement
REVOKE ALL ON TABLE public.children FROM anon, authenticated, service_role;

-- statement
REVOKE ALL ON TABLE public.weeks FROM anon, authenticated, service_role;

-- statement
REVOKE ALL ON TABLE public.habits FROM anon, authenticated, service_role;

-- statement
REVOKE ALL ON TABLE public.habit_records FROM anon, authenticated, service_role;

-- statement
REVOKE ALL ON TABLE public.habit_templates FROM anon, authenticated, service_role;

-- statement
REVOKE ALL ON TABLE public.notifications FROM anon, authenticated, service_role;

-- statement
REVOKE ALL ON TABLE public.idempotency_log FROM anon, authenticated, service_role;

-- statement
REVOKE ALL ON TABLE public.alembic_version FROM anon, authenticated, service_role;

-- statement
REVOKE ALL ON SEQUENCE public.habit_tracker_id_seq FROM anon, authenticated, service_role;

-- statement
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.habit_tracker TO authenticated;

-- statement
GRANT USAGE ON SEQUENCE public.habit_tracker_id_seq TO authenticated;
