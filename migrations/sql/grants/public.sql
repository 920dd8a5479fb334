-- public: what the API roles hold on the tables and sequences of schema public, and which tables filter it
-- by row-level security, as the database holds it at head (revisions 0001, 0007, 0019, 0027-0030, 0038, 0039, 0040).
-- No revision runs this file: each runs its own statements (or its frozen public@<revision>.sql where it has one).
-- tests/test_current_definitions.py proves the database at head equals this file.

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
ALTER TABLE public.idempotency_log ENABLE ROW LEVEL SECURITY;

-- statement
ALTER TABLE public.children ENABLE ROW LEVEL SECURITY;

-- statement
ALTER TABLE public.habit_templates ENABLE ROW LEVEL SECURITY;

-- statement
ALTER TABLE public.notifications ENABLE ROW LEVEL SECURITY;

-- statement
ALTER TABLE public.weeks ENABLE ROW LEVEL SECURITY;

-- statement
ALTER TABLE public.habits ENABLE ROW LEVEL SECURITY;

-- statement
ALTER TABLE public.habit_records ENABLE ROW LEVEL SECURITY;

-- statement
GRANT SELECT ON TABLE public.children TO authenticated;

-- statement
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.habit_templates TO authenticated;

-- statement
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.notifications TO authenticated;

-- statement
GRANT SELECT ON TABLE public.weeks TO authenticated;

-- statement
GRANT SELECT ON TABLE public.habits TO authenticated;

-- statement
GRANT SELECT ON TABLE public.habit_records TO authenticated;
