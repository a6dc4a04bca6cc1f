-- migrate:up

CREATE TYPE api_key_environment AS ENUM ('live', 'test');

-- API keys. The key's lookup id is the row's uuid (encoded in base62 inside the
-- key); only the SHA-256 of the secret part is stored.
CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  environment api_key_environment NOT NULL,
  secret_hash text NOT NULL CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  last4 text NOT NULL CHECK (last4 ~ '^[0-9A-Za-z]{4}$'),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  scopes text[] NOT NULL CHECK (cardinality(scopes) BETWEEN 1 AND 32),
  agent_id uuid,
  ip_allowlist text[] NOT NULL DEFAULT '{}' CHECK (cardinality(ip_allowlist) <= 64),
  rate_limit_per_minute integer CHECK (rate_limit_per_minute BETWEEN 1 AND 100000),
  expires_at timestamptz,
  created_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  created_by_key_id uuid REFERENCES api_keys (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  last_used_ip text,
  rotated_at timestamptz,
  replaced_by uuid REFERENCES api_keys (id) ON DELETE SET NULL,
  revoked_at timestamptz,
  revoke_reason text CHECK (char_length(revoke_reason) <= 500)
);
CREATE INDEX api_keys_org_id_created_at_idx ON api_keys (org_id, created_at);

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys TO warden_app
  USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
  WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
CREATE POLICY lookup_read ON api_keys FOR SELECT TO warden_lookup USING (true);

GRANT SELECT, INSERT, UPDATE ON api_keys TO warden_app;
GRANT SELECT ON api_keys TO warden_lookup;

-- The key verifier's lookup: by id, before the tenant is known. Returns what
-- the pipeline checks and nothing else.
CREATE FUNCTION warden_api_key_lookup(p_id uuid)
RETURNS TABLE (id uuid, org_id uuid, org_slug text, org_name text, environment api_key_environment,
               secret_hash text, name text, scopes text[], agent_id uuid, ip_allowlist text[],
               rate_limit_per_minute integer, expires_at timestamptz, revoked_at timestamptz,
               replaced_by uuid, created_by_user_id uuid, last_used_at timestamptz, last_used_ip text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT k.id, k.org_id, o.slug, o.name, k.environment, k.secret_hash, k.name, k.scopes, k.agent_id,
         k.ip_allowlist, k.rate_limit_per_minute, k.expires_at, k.revoked_at, k.replaced_by,
         k.created_by_user_id, k.last_used_at, k.last_used_ip
  FROM public.api_keys k JOIN public.organizations o ON o.id = k.org_id
  WHERE k.id = p_id
$$;
ALTER FUNCTION warden_api_key_lookup(uuid) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_api_key_lookup(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_api_key_lookup(uuid) TO warden_app;

-- migrate:down
DROP FUNCTION IF EXISTS warden_api_key_lookup(uuid);
DROP TABLE IF EXISTS api_keys;
DROP TYPE IF EXISTS api_key_environment;
