-- migrate:up

-- ---------------------------------------------------------------------------
-- SCIM 2.0 provisioning (RFC 7643/7644) at /api/scim/v2. An organization's
-- identity provider calls it with a bearer token an admin created; the token
-- names its organization (found by the narrow lookup below), and everything
-- else happens in that organization's tenant transaction.
-- ---------------------------------------------------------------------------
CREATE TABLE scim_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  -- SHA-256 of the secret part; the token is shown once.
  secret_hash text NOT NULL CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  last4 text NOT NULL CHECK (char_length(last4) = 4),
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz,
  revoked_by uuid,
  UNIQUE (org_id, id)
);

-- The people SCIM manages in an organization. A deactivated person keeps this
-- row (the IdP can still read and reactivate them) but has no membership.
CREATE TABLE scim_users (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  user_name text NOT NULL CHECK (char_length(user_name) BETWEEN 3 AND 320),
  external_id text CHECK (char_length(external_id) <= 500),
  display_name text CHECK (char_length(display_name) <= 200),
  given_name text CHECK (char_length(given_name) <= 200),
  family_name text CHECK (char_length(family_name) <= 200),
  active boolean NOT NULL DEFAULT true,
  -- Bumped on every change: the resource's ETag (meta.version).
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id),
  UNIQUE (org_id, user_name)
);
CREATE INDEX scim_users_org_created ON scim_users (org_id, created_at, user_id);

ALTER TABLE scim_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE scim_tokens FORCE ROW LEVEL SECURITY;
ALTER TABLE scim_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE scim_users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON scim_tokens TO warden_app
  USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
  WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON scim_users TO warden_app
  USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
  WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON scim_tokens TO warden_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON scim_users TO warden_app;

CREATE POLICY lookup_read ON scim_tokens FOR SELECT TO warden_lookup USING (true);
GRANT SELECT (id, org_id, secret_hash, expires_at, revoked_at) ON scim_tokens TO warden_lookup;
CREATE POLICY lookup_read ON scim_users FOR SELECT TO warden_lookup USING (true);
GRANT SELECT (org_id, user_id) ON scim_users TO warden_lookup;

-- A SCIM request's token, by its id, before the tenant is known.
CREATE FUNCTION warden_scim_token_lookup(p_id uuid)
RETURNS TABLE (id uuid, org_id uuid, org_slug text, org_name text, secret_hash text, expires_at timestamptz,
               revoked_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT t.id, t.org_id, o.slug, o.name, t.secret_hash, t.expires_at, t.revoked_at
  FROM public.scim_tokens t JOIN public.organizations o ON o.id = t.org_id
  WHERE t.id = p_id;
END $$;

-- Deactivation ends the sessions this organization's IdP vouched for
-- (auth_methods has sso_org:<org>), at once. Sessions are the person's own
-- rows, so the tenant cannot reach them: this function may, only for a person
-- SCIM manages in the calling transaction's organization.
CREATE FUNCTION warden_scim_end_sessions(p_user_id uuid)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_org uuid := nullif(current_setting('app.org_id', true), '')::uuid;
  n integer;
BEGIN
  IF v_org IS NULL OR NOT EXISTS (SELECT 1 FROM public.scim_users s WHERE s.org_id = v_org AND s.user_id = p_user_id) THEN
    RETURN 0;
  END IF;
  UPDATE public.sessions SET revoked_at = now(), revoke_reason = 'scim_deactivated'
  WHERE user_id = p_user_id AND revoked_at IS NULL AND ('sso_org:' || v_org::text) = ANY (auth_methods);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

ALTER FUNCTION warden_scim_token_lookup(uuid) OWNER TO warden_lookup;
ALTER FUNCTION warden_scim_end_sessions(uuid) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_scim_token_lookup(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION warden_scim_end_sessions(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_scim_token_lookup(uuid) TO warden_app;
GRANT EXECUTE ON FUNCTION warden_scim_end_sessions(uuid) TO warden_app;

-- migrate:down
DROP FUNCTION IF EXISTS warden_scim_end_sessions(uuid);
DROP FUNCTION IF EXISTS warden_scim_token_lookup(uuid);
DROP TABLE IF EXISTS scim_users;
DROP TABLE IF EXISTS scim_tokens;
