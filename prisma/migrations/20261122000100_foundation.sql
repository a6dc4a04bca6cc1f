-- migrate:up

-- ---------------------------------------------------------------------------
-- Roles. `warden_app` is what the running app connects as: no superuser, no
-- BYPASSRLS, owns nothing. `warden_lookup` never logs in; it only owns the few
-- SECURITY DEFINER functions that must read across tenants before the tenant
-- is known (sign-in, session resolution), and row policies let it through on
-- exactly the tables those functions read.
-- ---------------------------------------------------------------------------
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'warden_app') THEN
    CREATE ROLE warden_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'warden_lookup') THEN
    CREATE ROLE warden_lookup NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  -- Fail closed if a pre-existing role was given powers that defeat the wall.
  IF EXISTS (SELECT 1 FROM pg_roles
             WHERE rolname IN ('warden_app', 'warden_lookup')
               AND (rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb)) THEN
    RAISE EXCEPTION 'warden_app / warden_lookup must be NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB';
  END IF;
  -- A non-superuser migrator must be a member to hand functions to the lookup
  -- role and to SET ROLE for seeding; a superuser needs nothing.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT warden_app, warden_lookup TO %I', current_user);
  END IF;
END $$;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO warden_app, warden_lookup;

CREATE TYPE member_role AS ENUM ('admin', 'approver', 'auditor', 'viewer');

-- ---------------------------------------------------------------------------
-- organizations: the tenant itself. Visible only inside its own tenant context.
-- ---------------------------------------------------------------------------
CREATE TABLE organizations (
  id uuid PRIMARY KEY,
  slug text NOT NULL CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$'),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  session_idle_timeout_seconds integer NOT NULL DEFAULT 1800
    CHECK (session_idle_timeout_seconds BETWEEN 60 AND 86400),
  session_absolute_timeout_seconds integer NOT NULL DEFAULT 28800
    CHECK (session_absolute_timeout_seconds BETWEEN 300 AND 2592000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organizations_slug_key ON organizations (slug);

-- ---------------------------------------------------------------------------
-- users: global identities (one person, many organizations).
-- ---------------------------------------------------------------------------
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL CHECK (email = lower(email) AND char_length(email) BETWEEN 3 AND 320),
  name text NOT NULL DEFAULT '' CHECK (char_length(name) <= 200),
  password_hash text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE memberships (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role member_role NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX memberships_org_id_user_id_key ON memberships (org_id, user_id);
CREATE INDEX memberships_user_id_idx ON memberships (user_id);

-- ---------------------------------------------------------------------------
-- sessions: server-side rows; the cookie carries only a random token whose
-- SHA-256 is stored here. Belongs to a user, not to an organization.
-- ---------------------------------------------------------------------------
CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  auth_methods text[] NOT NULL DEFAULT '{}',
  ip text,
  user_agent text CHECK (char_length(user_agent) <= 512),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  revoke_reason text
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- ---------------------------------------------------------------------------
-- invitations: a one-time link for a person who has no Warden account yet.
-- Only the SHA-256 of the token is stored.
-- ---------------------------------------------------------------------------
CREATE TABLE invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  revoked_at timestamptz
);
CREATE UNIQUE INDEX invitations_org_id_token_hash_key ON invitations (org_id, token_hash);
CREATE INDEX invitations_token_hash_idx ON invitations (token_hash);
CREATE INDEX invitations_org_id_user_id_idx ON invitations (org_id, user_id);

-- ---------------------------------------------------------------------------
-- Audit chain. audit_heads holds one row per organization: the tip of the
-- chain, locked FOR UPDATE by each append so concurrent writers serialise.
-- ---------------------------------------------------------------------------
CREATE TABLE audit_heads (
  org_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  seq bigint NOT NULL DEFAULT 0 CHECK (seq >= 0),
  hash text NOT NULL DEFAULT repeat('0', 64) CHECK (hash ~ '^[0-9a-f]{64}$'),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_events (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
  seq bigint NOT NULL CHECK (seq >= 1),
  id uuid NOT NULL,
  occurred_at timestamptz NOT NULL,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system')),
  actor_id text,
  action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
  target_type text,
  target_id text,
  ip text,
  data jsonb NOT NULL DEFAULT '{}',
  prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  PRIMARY KEY (org_id, seq)
);
CREATE UNIQUE INDEX audit_events_org_id_id_key ON audit_events (org_id, id);
CREATE INDEX audit_events_org_id_occurred_at_idx ON audit_events (org_id, occurred_at);

CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_events_append_only
  BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

-- ---------------------------------------------------------------------------
-- Rate-limiter state (rate-limiter-flexible's table layout). Keys are hashes
-- of what is limited; no tenant data lives here.
-- ---------------------------------------------------------------------------
CREATE TABLE rate_limits (
  key varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);

-- ---------------------------------------------------------------------------
-- The tenancy wall.
-- ---------------------------------------------------------------------------
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations TO warden_app
  USING (id = nullif(current_setting('app.org_id', true), '')::uuid)
  WITH CHECK (id = nullif(current_setting('app.org_id', true), '')::uuid);
CREATE POLICY lookup_read ON organizations FOR SELECT TO warden_lookup USING (true);

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships TO warden_app
  USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
  WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
CREATE POLICY lookup_read ON memberships FOR SELECT TO warden_lookup USING (true);

ALTER TABLE audit_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_heads TO warden_app
  USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
  WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events TO warden_app
  USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
  WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations TO warden_app
  USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
  WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
CREATE POLICY lookup_read ON invitations FOR SELECT TO warden_lookup USING (true);

-- users: a user sees themself, and the members of the current organization.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY self_or_member_read ON users FOR SELECT TO warden_app
  USING (
    id = nullif(current_setting('app.user_id', true), '')::uuid
    OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id)
  );
CREATE POLICY create_identity ON users FOR INSERT TO warden_app WITH CHECK (true);
CREATE POLICY self_update ON users FOR UPDATE TO warden_app
  USING (id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (id = nullif(current_setting('app.user_id', true), '')::uuid);
CREATE POLICY lookup_read ON users FOR SELECT TO warden_lookup USING (true);

-- sessions: a user's own rows; resolution by token goes through the lookup role.
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY own_sessions ON sessions TO warden_app
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
CREATE POLICY lookup_read ON sessions FOR SELECT TO warden_lookup USING (true);
CREATE POLICY lookup_update ON sessions FOR UPDATE TO warden_lookup USING (true) WITH CHECK (true);

-- ---------------------------------------------------------------------------
-- Grants: the app role gets row verbs, never ownership, and no way to rewrite
-- the audit trail.
-- ---------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE ON organizations TO warden_app;
GRANT SELECT, INSERT, UPDATE ON users TO warden_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO warden_app;
GRANT SELECT, INSERT, UPDATE ON sessions TO warden_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON invitations TO warden_app;
GRANT SELECT, INSERT, UPDATE ON audit_heads TO warden_app;
GRANT SELECT, INSERT ON audit_events TO warden_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limits TO warden_app;

GRANT SELECT ON organizations, users, memberships, invitations TO warden_lookup;
GRANT SELECT, UPDATE ON sessions TO warden_lookup;

-- ---------------------------------------------------------------------------
-- Cross-tenant lookups: narrow, SECURITY DEFINER, pinned search_path, owned by
-- warden_lookup, executable only by warden_app.
-- ---------------------------------------------------------------------------
CREATE FUNCTION warden_auth_user_by_email(p_email text)
RETURNS TABLE (id uuid, email text, name text, password_hash text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT u.id, u.email, u.name, u.password_hash
  FROM public.users u
  WHERE u.email = lower(p_email)
$$;

CREATE FUNCTION warden_user_memberships(p_user_id uuid)
RETURNS TABLE (org_id uuid, slug text, name text, role public.member_role)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT o.id, o.slug, o.name, m.role
  FROM public.memberships m
  JOIN public.organizations o ON o.id = m.org_id
  WHERE m.user_id = p_user_id
  ORDER BY o.name, o.slug
$$;

-- Resolves a session token hash to its user, enforcing the idle and absolute
-- timeouts. The effective timeouts are the strictest among the user's
-- organizations (defaults when the user has none): a session is one identity
-- across organizations, so the strictest organization's policy governs it.
-- An expired session is revoked on the spot. last_seen_at is touched at most
-- every p_touch_after_seconds to keep the hot path free of needless writes.
CREATE FUNCTION warden_session_resolve(p_token_hash text, p_touch_after_seconds integer)
RETURNS TABLE (status text, session_id uuid, user_id uuid, email text, name text,
               auth_methods text[], created_at timestamptz, idle_timeout_seconds integer,
               absolute_timeout_seconds integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s public.sessions%ROWTYPE;
  v_idle integer;
  v_abs integer;
  v_email text;
  v_name text;
BEGIN
  SELECT * INTO s FROM public.sessions WHERE token_hash = p_token_hash FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT coalesce(min(o.session_idle_timeout_seconds), 1800),
         coalesce(min(o.session_absolute_timeout_seconds), 28800)
    INTO v_idle, v_abs
  FROM public.memberships m JOIN public.organizations o ON o.id = m.org_id
  WHERE m.user_id = s.user_id;
  SELECT u.email, u.name INTO v_email, v_name FROM public.users u WHERE u.id = s.user_id;

  IF s.revoked_at IS NOT NULL THEN
    status := 'revoked';
  ELSIF now() - s.created_at > make_interval(secs => v_abs) THEN
    UPDATE public.sessions SET revoked_at = now(), revoke_reason = 'absolute_timeout' WHERE id = s.id;
    status := 'expired';
  ELSIF now() - s.last_seen_at > make_interval(secs => v_idle) THEN
    UPDATE public.sessions SET revoked_at = now(), revoke_reason = 'idle_timeout' WHERE id = s.id;
    status := 'expired';
  ELSE
    IF now() - s.last_seen_at > make_interval(secs => p_touch_after_seconds) THEN
      UPDATE public.sessions SET last_seen_at = now() WHERE id = s.id;
    END IF;
    status := 'active';
  END IF;
  session_id := s.id;
  user_id := s.user_id;
  email := v_email;
  name := v_name;
  auth_methods := s.auth_methods;
  created_at := s.created_at;
  idle_timeout_seconds := v_idle;
  absolute_timeout_seconds := v_abs;
  RETURN NEXT;
END $$;

CREATE FUNCTION warden_session_revoke(p_token_hash text, p_reason text)
RETURNS TABLE (session_id uuid, user_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  UPDATE public.sessions s
     SET revoked_at = now(), revoke_reason = p_reason
   WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL
  RETURNING s.id, s.user_id
$$;

-- An invitation by its token hash, with what the accept page shows.
CREATE FUNCTION warden_invitation_by_token(p_token_hash text)
RETURNS TABLE (id uuid, org_id uuid, org_slug text, org_name text, user_id uuid, email text,
               has_password boolean, expires_at timestamptz, accepted_at timestamptz,
               revoked_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT i.id, i.org_id, o.slug, o.name, i.user_id, u.email, u.password_hash IS NOT NULL,
         i.expires_at, i.accepted_at, i.revoked_at
  FROM public.invitations i
  JOIN public.organizations o ON o.id = i.org_id
  JOIN public.users u ON u.id = i.user_id
  WHERE i.token_hash = p_token_hash
$$;

ALTER FUNCTION warden_invitation_by_token(text) OWNER TO warden_lookup;
ALTER FUNCTION warden_auth_user_by_email(text) OWNER TO warden_lookup;
ALTER FUNCTION warden_user_memberships(uuid) OWNER TO warden_lookup;
ALTER FUNCTION warden_session_resolve(text, integer) OWNER TO warden_lookup;
ALTER FUNCTION warden_session_revoke(text, text) OWNER TO warden_lookup;

REVOKE ALL ON FUNCTION warden_invitation_by_token(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION warden_auth_user_by_email(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION warden_user_memberships(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION warden_session_resolve(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION warden_session_revoke(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_events_refuse_change() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_invitation_by_token(text) TO warden_app;
GRANT EXECUTE ON FUNCTION warden_auth_user_by_email(text) TO warden_app;
GRANT EXECUTE ON FUNCTION warden_user_memberships(uuid) TO warden_app;
GRANT EXECUTE ON FUNCTION warden_session_resolve(text, integer) TO warden_app;
GRANT EXECUTE ON FUNCTION warden_session_revoke(text, text) TO warden_app;

-- migrate:down
DROP FUNCTION IF EXISTS warden_session_revoke(text, text);
DROP FUNCTION IF EXISTS warden_session_resolve(text, integer);
DROP FUNCTION IF EXISTS warden_user_memberships(uuid);
DROP FUNCTION IF EXISTS warden_auth_user_by_email(text);
DROP FUNCTION IF EXISTS warden_invitation_by_token(text);
DROP TABLE IF EXISTS rate_limits;
DROP TABLE IF EXISTS audit_events;
DROP FUNCTION IF EXISTS audit_events_refuse_change();
DROP TABLE IF EXISTS audit_heads;
DROP TABLE IF EXISTS invitations;
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS memberships;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS organizations;
DROP TYPE IF EXISTS member_role;
