-- migrate:up

-- ---------------------------------------------------------------------------
-- Single sign-on. A connection (OIDC or SAML) belongs to one organization. It
-- is found before the tenant is known (by an e-mail's verified domain, by the
-- organization's slug, or by its id in the IdP's callback) through the narrow
-- lookups at the end of this file; everything else happens inside the
-- organization's tenant transaction.
-- ---------------------------------------------------------------------------
CREATE TABLE sso_connections (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  protocol text NOT NULL CHECK (protocol IN ('oidc', 'saml')),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  -- Protocol settings (issuer, client id, endpoints, IdP certificate); never a secret.
  config jsonb NOT NULL DEFAULT '{}',
  -- The OIDC client secret, AES-256-GCM under the key ring (AAD = connection id).
  secret_encrypted text,
  default_role member_role NOT NULL DEFAULT 'viewer',
  -- [{ "group": "...", "role": "admin" | "approver" | "auditor" | "viewer" }]
  group_roles jsonb NOT NULL DEFAULT '[]',
  allow_idp_initiated boolean NOT NULL DEFAULT false,
  enabled boolean NOT NULL DEFAULT false,
  -- The last successful test sign-in: when, by whom, what the IdP sent, and the
  -- config version it tested (enabling needs a test of the current version).
  config_version integer NOT NULL DEFAULT 1,
  tested_version integer,
  tested_at timestamptz,
  tested_by uuid,
  last_test jsonb,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id)
);
-- One enabled connection per organization: "Continue with SSO" has one place to go.
CREATE UNIQUE INDEX sso_connections_one_enabled ON sso_connections (org_id) WHERE enabled;

-- Domains an organization proved it owns (DNS TXT). A domain is verified by
-- one organization at most: verification takes a per-domain advisory lock and
-- asks warden_sso_domain_owner() (no global unique index: a cross-tenant
-- constraint would tell one tenant about another's rows).
CREATE TABLE sso_domains (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  domain text NOT NULL CHECK (domain ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$'
                              AND char_length(domain) <= 253),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified', 'failed')),
  verification_token text NOT NULL CHECK (verification_token ~ '^[A-Za-z0-9_-]{20,100}$'),
  verified_at timestamptz,
  last_checked_at timestamptz,
  last_error text CHECK (char_length(last_error) <= 500),
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, domain)
);
CREATE INDEX sso_domains_domain_idx ON sso_domains (domain) WHERE status = 'verified';

-- A sign-in (or test) in flight: created when the browser leaves for the IdP,
-- consumed once when it comes back. Only hashes of the state and of the
-- browser binding are stored.
CREATE TABLE sso_auth_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  connection_id uuid NOT NULL,
  purpose text NOT NULL CHECK (purpose IN ('sign_in', 'test')),
  state_hash text NOT NULL CHECK (state_hash ~ '^[0-9a-f]{64}$'),
  binding_hash text NOT NULL CHECK (binding_hash ~ '^[0-9a-f]{64}$'),
  nonce text,
  code_verifier text,
  saml_request_id text,
  next_path text NOT NULL DEFAULT '/' CHECK (char_length(next_path) <= 2000),
  user_id uuid,
  -- SAML: the validated profile waits here between the IdP's POST and the
  -- browser's same-site GET that carries the binding cookie.
  result jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz,
  UNIQUE (org_id, state_hash),
  FOREIGN KEY (org_id, connection_id) REFERENCES sso_connections (org_id, id) ON DELETE CASCADE
);
CREATE INDEX sso_auth_requests_expires_idx ON sso_auth_requests (org_id, expires_at);

-- The IdP's subject linked to a person, per connection: a later sign-in with
-- the same subject is the same person even if the IdP changes the e-mail.
CREATE TABLE sso_identities (
  org_id uuid NOT NULL,
  connection_id uuid NOT NULL,
  subject text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 500),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_sign_in_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, connection_id, subject),
  FOREIGN KEY (org_id, connection_id) REFERENCES sso_connections (org_id, id) ON DELETE CASCADE
);

-- Assertion ids seen (SAML), kept until the assertion would have expired anyway.
CREATE TABLE sso_replay_cache (
  org_id uuid NOT NULL,
  connection_id uuid NOT NULL,
  assertion_id text NOT NULL CHECK (char_length(assertion_id) BETWEEN 1 AND 500),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, connection_id, assertion_id),
  FOREIGN KEY (org_id, connection_id) REFERENCES sso_connections (org_id, id) ON DELETE CASCADE
);

-- A role above what JIT grants on its own (admin, approver) that an IdP group
-- maps to waits here for an admin's confirmation.
CREATE TABLE sso_role_requests (
  org_id uuid NOT NULL,
  user_id uuid NOT NULL,
  connection_id uuid NOT NULL,
  role member_role NOT NULL,
  groups text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id),
  FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, connection_id) REFERENCES sso_connections (org_id, id) ON DELETE CASCADE
);

-- ---------------------------------------------------------------------------
-- The wall.
-- ---------------------------------------------------------------------------
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['sso_connections', 'sso_domains', 'sso_auth_requests', 'sso_identities',
                           'sso_replay_cache', 'sso_role_requests'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I TO warden_app
      USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
      WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid)$p$, t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON sso_connections TO warden_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_domains TO warden_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_auth_requests TO warden_app;
GRANT SELECT, INSERT, UPDATE ON sso_identities TO warden_app;
GRANT SELECT, INSERT, DELETE ON sso_replay_cache TO warden_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_role_requests TO warden_app;

CREATE POLICY lookup_read ON sso_connections FOR SELECT TO warden_lookup USING (true);
CREATE POLICY lookup_read ON sso_domains FOR SELECT TO warden_lookup USING (true);
GRANT SELECT (id, org_id, protocol, enabled) ON sso_connections TO warden_lookup;
GRANT SELECT (org_id, domain, status, last_checked_at) ON sso_domains TO warden_lookup;

-- The organization a connection belongs to (the IdP's callback names the connection).
CREATE FUNCTION warden_sso_connection_org(p_connection_id uuid)
RETURNS TABLE (org_id uuid, org_slug text, org_name text, protocol text, enabled boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT c.org_id, o.slug, o.name, c.protocol, c.enabled
  FROM public.sso_connections c JOIN public.organizations o ON o.id = c.org_id
  WHERE c.id = p_connection_id;
END $$;

-- "Continue with SSO": the enabled connection of the organization that verified
-- this e-mail domain, or of the organization with this slug.
CREATE FUNCTION warden_sso_discover(p_domain text, p_slug text)
RETURNS TABLE (connection_id uuid, org_id uuid, org_slug text, protocol text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT c.id, c.org_id, o.slug, c.protocol
  FROM public.sso_connections c JOIN public.organizations o ON o.id = c.org_id
  WHERE c.enabled
    AND ((p_domain IS NOT NULL AND EXISTS (SELECT 1 FROM public.sso_domains d
                                           WHERE d.org_id = c.org_id AND d.domain = lower(p_domain)
                                             AND d.status = 'verified'))
         OR (p_slug IS NOT NULL AND o.slug = lower(p_slug)))
  LIMIT 1;
END $$;

-- Whether a domain is verified by some other organization (adding it is refused).
CREATE FUNCTION warden_sso_domain_owner(p_domain text)
RETURNS TABLE (org_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY SELECT d.org_id FROM public.sso_domains d WHERE d.domain = lower(p_domain) AND d.status = 'verified';
END $$;

-- Organizations with a verified domain not re-checked for a day (ids only; the
-- daily re-check then works inside each organization's tenant transaction).
CREATE FUNCTION warden_orgs_with_sso_domains_due(p_limit integer)
RETURNS TABLE (org_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT DISTINCT d.org_id FROM public.sso_domains d
  WHERE d.status = 'verified' AND (d.last_checked_at IS NULL OR d.last_checked_at < now() - interval '1 day')
  LIMIT p_limit;
END $$;

ALTER FUNCTION warden_orgs_with_sso_domains_due(integer) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_orgs_with_sso_domains_due(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_orgs_with_sso_domains_due(integer) TO warden_app;
ALTER FUNCTION warden_sso_connection_org(uuid) OWNER TO warden_lookup;
ALTER FUNCTION warden_sso_discover(text, text) OWNER TO warden_lookup;
ALTER FUNCTION warden_sso_domain_owner(text) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_sso_connection_org(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION warden_sso_discover(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION warden_sso_domain_owner(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_sso_connection_org(uuid) TO warden_app;
GRANT EXECUTE ON FUNCTION warden_sso_discover(text, text) TO warden_app;
GRANT EXECUTE ON FUNCTION warden_sso_domain_owner(text) TO warden_app;

-- migrate:down
DROP FUNCTION IF EXISTS warden_orgs_with_sso_domains_due(integer);
DROP FUNCTION IF EXISTS warden_sso_domain_owner(text);
DROP FUNCTION IF EXISTS warden_sso_discover(text, text);
DROP FUNCTION IF EXISTS warden_sso_connection_org(uuid);
DROP TABLE IF EXISTS sso_role_requests;
DROP TABLE IF EXISTS sso_replay_cache;
DROP TABLE IF EXISTS sso_identities;
DROP TABLE IF EXISTS sso_auth_requests;
DROP TABLE IF EXISTS sso_domains;
DROP TABLE IF EXISTS sso_connections;
