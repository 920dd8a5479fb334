-- Supabase's shape, for throwaway databases only: written by us from ../shared/SUPABASE_FACTS.md.
--
-- Run by the cluster superuser `supabase_admin` (scripts/throwaway_pg.py, tests/conftest.py),
-- never by a revision and never as `postgres`: the real database already has all of this, and
-- the role that runs the revisions (`postgres`) could not build it. Idempotent, so it is loaded
-- into every new database of one cluster (roles are cluster-wide, the rest is per database).
-- pg_cron is not here: it can only be created in cron.database_name (throwaway_pg.enable_pg_cron).

-- Roles ------------------------------------------------------------------------------------
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'postgres') THEN
        CREATE ROLE postgres;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
        CREATE ROLE anon;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        CREATE ROLE authenticated;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        CREATE ROLE service_role;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticator') THEN
        CREATE ROLE authenticator;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'supabase_auth_admin') THEN
        CREATE ROLE supabase_auth_admin;
    END IF;
END
$$;

-- The DBA's role, and so every make target's: not a superuser.
ALTER ROLE postgres NOSUPERUSER CREATEDB CREATEROLE LOGIN REPLICATION BYPASSRLS;
ALTER ROLE postgres SET search_path = "$user", public, extensions;
-- What PostgREST switches to for a request without / with a user JWT, and for the service key.
ALTER ROLE anon NOSUPERUSER NOLOGIN INHERIT NOBYPASSRLS;
ALTER ROLE authenticated NOSUPERUSER NOLOGIN INHERIT NOBYPASSRLS;
ALTER ROLE service_role NOSUPERUSER NOLOGIN INHERIT BYPASSRLS;
-- PostgREST's login role.
ALTER ROLE authenticator NOSUPERUSER LOGIN NOINHERIT;
GRANT anon, authenticated, service_role TO authenticator;  -- noqa: PRS
GRANT anon, authenticated, service_role TO postgres;  -- noqa: PRS
-- The auth server's role, owner of schema auth.
ALTER ROLE supabase_auth_admin NOSUPERUSER NOINHERIT CREATEROLE LOGIN;

-- Schema public: the API roles may use it; whatever is created in it is theirs ------------------
GRANT USAGE ON SCHEMA public TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public
GRANT ALL ON TABLES TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public
GRANT ALL ON SEQUENCES TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public
GRANT ALL ON FUNCTIONS TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public
GRANT ALL ON TABLES TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public
GRANT ALL ON SEQUENCES TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public
GRANT ALL ON FUNCTIONS TO postgres, anon, authenticated, service_role;

-- Schema extensions: pg_stat_statements ----------------------------------------------------
-- Preloaded by the server (throwaway_pg.py: shared_preload_libraries), created here by the
-- superuser, as on Supabase; never by a revision.
CREATE SCHEMA IF NOT EXISTS extensions;
GRANT USAGE ON SCHEMA extensions TO postgres, anon, authenticated, service_role;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA extensions;
-- ../shared/SUPABASE_FACTS.md does not say whether `postgres` may read other roles' statistics.
-- Granted here (our assumption, as Supabase's dashboard shows every role's queries to it):
-- without it pg_stat_statements hides the query text of every other role's statement
-- (`<insufficient privilege>`), and `make legacy-readers` could not name the app's statements.
GRANT pg_read_all_stats TO postgres;  -- noqa: PRS

-- Schema auth, owned by the auth server's role ---------------------------------------------
CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION supabase_auth_admin;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA auth TO postgres;

SET ROLE supabase_auth_admin;

-- The auth server's users table (its columns as of 2025; ours only ever read id).
CREATE TABLE IF NOT EXISTS auth.users (
    instance_id UUID,
    id UUID PRIMARY KEY,
    aud VARCHAR(255),
    role VARCHAR(255),
    email VARCHAR(255),
    encrypted_password VARCHAR(255),
    email_confirmed_at TIMESTAMPTZ,
    invited_at TIMESTAMPTZ,
    confirmation_token VARCHAR(255),
    confirmation_sent_at TIMESTAMPTZ,
    recovery_token VARCHAR(255),
    recovery_sent_at TIMESTAMPTZ,
    email_change_token_new VARCHAR(255),
    email_change VARCHAR(255),
    email_change_sent_at TIMESTAMPTZ,
    last_sign_in_at TIMESTAMPTZ,
    raw_app_meta_data JSONB,
    raw_user_meta_data JSONB,
    is_super_admin BOOLEAN,
    created_at TIMESTAMPTZ DEFAULT now(),
    updated_at TIMESTAMPTZ DEFAULT now(),
    phone TEXT UNIQUE,
    phone_confirmed_at TIMESTAMPTZ,
    phone_change TEXT DEFAULT '',
    phone_change_token VARCHAR(255) DEFAULT '',
    phone_change_sent_at TIMESTAMPTZ,
    confirmed_at TIMESTAMPTZ GENERATED ALWAYS AS (least(email_confirmed_at, phone_confirmed_at)) STORED,
    email_change_token_current VARCHAR(255) DEFAULT '',
    email_change_confirm_status SMALLINT DEFAULT 0,
    banned_until TIMESTAMPTZ,
    reauthentication_token VARCHAR(255) DEFAULT '',
    reauthentication_sent_at TIMESTAMPTZ,
    is_sso_user BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at TIMESTAMPTZ,
    is_anonymous BOOLEAN NOT NULL DEFAULT FALSE
);
ALTER TABLE auth.users ENABLE ROW LEVEL SECURITY;
GRANT ALL ON auth.users TO postgres;

-- The request's JWT claims, as PostgREST sets them (request.jwt.claims; the older per-claim
-- settings request.jwt.claim.* first).
CREATE OR REPLACE FUNCTION auth.uid() RETURNS UUID
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claim.sub', TRUE), ''),
        (nullif(current_setting('request.jwt.claims', TRUE), '')::JSONB ->> 'sub')
    )::UUID
$$;

CREATE OR REPLACE FUNCTION auth.role() RETURNS TEXT
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claim.role', TRUE), ''),
        (nullif(current_setting('request.jwt.claims', TRUE), '')::JSONB ->> 'role')
    )::TEXT
$$;

CREATE OR REPLACE FUNCTION auth.email() RETURNS TEXT
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claim.email', TRUE), ''),
        (nullif(current_setting('request.jwt.claims', TRUE), '')::JSONB ->> 'email')
    )::TEXT
$$;

CREATE OR REPLACE FUNCTION auth.jwt() RETURNS JSONB
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claim', TRUE), ''),
        nullif(current_setting('request.jwt.claims', TRUE), '')
    )::JSONB
$$;

RESET ROLE;

GRANT EXECUTE ON FUNCTION auth.uid(), auth.role(), auth.email(), auth.jwt()
TO postgres, anon, authenticated, service_role;
