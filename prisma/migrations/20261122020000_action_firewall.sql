-- migrate:up

-- ---------------------------------------------------------------------------
-- Organization settings used by the firewall.
-- ---------------------------------------------------------------------------
ALTER TABLE organizations
  ADD COLUMN sensitive_keys text[] NOT NULL DEFAULT '{}' CHECK (cardinality(sensitive_keys) <= 100),
  ADD COLUMN http_allowed_domains text[] NOT NULL DEFAULT '{}' CHECK (cardinality(http_allowed_domains) <= 500),
  ADD COLUMN http_allowed_private_cidrs text[] NOT NULL DEFAULT '{}' CHECK (cardinality(http_allowed_private_cidrs) <= 50),
  ADD COLUMN payload_retention_days integer CHECK (payload_retention_days BETWEEN 1 AND 3650);

-- ---------------------------------------------------------------------------
-- Agents and their tool registries (one per environment, as JSON:
-- {"development": {"allowed": [], "denied": [], "require_approval": []}, "production": {...}}).
-- ---------------------------------------------------------------------------
CREATE TYPE agent_environment AS ENUM ('development', 'production');

CREATE TABLE agents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  slug text NOT NULL CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$'),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  environment agent_environment NOT NULL,
  tool_registry jsonb NOT NULL DEFAULT '{}',
  rate_limit_per_minute integer CHECK (rate_limit_per_minute BETWEEN 1 AND 100000),
  daily_budget integer CHECK (daily_budget BETWEEN 1 AND 10000000),
  disabled_at timestamptz,
  created_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX agents_org_id_slug_key ON agents (org_id, slug);
CREATE UNIQUE INDEX agents_org_id_id_key ON agents (org_id, id);

-- Keys bind to an agent of their own organization only (composite key: a
-- foreign-key check bypasses RLS, so org_id must be part of it).
CREATE UNIQUE INDEX api_keys_org_id_id_key ON api_keys (org_id, id);
ALTER TABLE api_keys
  ADD CONSTRAINT api_keys_agent_fkey FOREIGN KEY (org_id, agent_id) REFERENCES agents (org_id, id) ON DELETE RESTRICT;

-- ---------------------------------------------------------------------------
-- Policy versions: immutable once published; exactly one active per org.
-- ---------------------------------------------------------------------------
CREATE TABLE policy_versions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  version integer NOT NULL CHECK (version >= 1),
  rules jsonb NOT NULL,
  description text CHECK (char_length(description) <= 500),
  status text NOT NULL CHECK (status IN ('draft', 'published')),
  is_active boolean NOT NULL DEFAULT false,
  created_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  created_by_key_id uuid REFERENCES api_keys (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  published_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  published_by_key_id uuid REFERENCES api_keys (id) ON DELETE SET NULL,
  CHECK (NOT is_active OR status = 'published')
);
CREATE UNIQUE INDEX policy_versions_org_id_version_key ON policy_versions (org_id, version);
CREATE UNIQUE INDEX policy_versions_one_active ON policy_versions (org_id) WHERE is_active;

CREATE FUNCTION policy_versions_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status = 'published' THEN
      RAISE EXCEPTION 'a published policy version cannot be deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
  END IF;
  IF NEW.rules IS DISTINCT FROM OLD.rules OR NEW.version IS DISTINCT FROM OLD.version
     OR NEW.org_id IS DISTINCT FROM OLD.org_id OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
    RAISE EXCEPTION 'policy version content is immutable' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.status = 'published' AND (NEW.status <> 'published' OR NEW.published_at IS DISTINCT FROM OLD.published_at) THEN
    RAISE EXCEPTION 'a published policy version stays published' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER policy_versions_immutable
  BEFORE UPDATE OR DELETE ON policy_versions
  FOR EACH ROW EXECUTE FUNCTION policy_versions_guard();

-- ---------------------------------------------------------------------------
-- Actions, approvals and decisions.
-- ---------------------------------------------------------------------------
CREATE TYPE action_status AS ENUM (
  'allowed', 'denied', 'pending', 'approved', 'rejected', 'expired', 'cancelled', 'executing', 'executed', 'failed'
);

CREATE TABLE actions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL,
  api_key_id uuid NOT NULL,
  tool text NOT NULL CHECK (char_length(tool) BETWEEN 1 AND 64),
  operation text NOT NULL CHECK (char_length(operation) BETWEEN 1 AND 128),
  params_redacted jsonb,
  context_redacted jsonb,
  redacted_paths text[] NOT NULL DEFAULT '{}',
  params_encrypted text,
  payload_hash text NOT NULL CHECK (payload_hash ~ '^[0-9a-f]{64}$'),
  payload_bytes integer NOT NULL CHECK (payload_bytes >= 0),
  idempotency_key text CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
  request_hash text CHECK (request_hash ~ '^[0-9a-f]{64}$'),
  status action_status NOT NULL,
  effect text NOT NULL CHECK (effect IN ('allow', 'deny', 'require_approval')),
  risk_level text NOT NULL CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
  reason text NOT NULL,
  decided_by text NOT NULL CHECK (decided_by IN ('registry', 'policy')),
  rule_index integer,
  rule_name text,
  rule_condition text,
  policy_version integer,
  response jsonb NOT NULL,
  result jsonb,
  error text,
  executed_at timestamptz,
  payload_expired_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (org_id, agent_id) REFERENCES agents (org_id, id) ON DELETE RESTRICT,
  FOREIGN KEY (org_id, api_key_id) REFERENCES api_keys (org_id, id) ON DELETE RESTRICT
);
CREATE UNIQUE INDEX actions_org_id_agent_id_idempotency_key_key ON actions (org_id, agent_id, idempotency_key);
CREATE UNIQUE INDEX actions_org_id_id_key ON actions (org_id, id);
CREATE INDEX actions_org_id_created_at_idx ON actions (org_id, created_at);
CREATE INDEX actions_org_id_status_idx ON actions (org_id, status);
CREATE INDEX actions_org_id_api_key_id_idx ON actions (org_id, api_key_id);

CREATE TABLE approvals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  action_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
  approvals_required integer NOT NULL CHECK (approvals_required BETWEEN 1 AND 5),
  payload_hash text NOT NULL CHECK (payload_hash ~ '^[0-9a-f]{64}$'),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz,
  FOREIGN KEY (org_id, action_id) REFERENCES actions (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX approvals_org_id_action_id_key ON approvals (org_id, action_id);
CREATE UNIQUE INDEX approvals_org_id_id_key ON approvals (org_id, id);
CREATE INDEX approvals_org_id_status_expires_at_idx ON approvals (org_id, status, expires_at);
CREATE INDEX approvals_pending_expiry_idx ON approvals (expires_at) WHERE status = 'pending';

CREATE TABLE approval_decisions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  approval_id uuid NOT NULL,
  approver_id uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  decision text NOT NULL CHECK (decision IN ('approved', 'rejected')),
  reason text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 1000),
  mfa boolean NOT NULL DEFAULT false,
  payload_hash text NOT NULL CHECK (payload_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (org_id, approval_id) REFERENCES approvals (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX approval_decisions_org_id_approval_id_approver_id_key ON approval_decisions (org_id, approval_id, approver_id);

-- The floor for `npm run bench`: the cheapest possible write transaction. The
-- route that uses it answers 404 unless WARDEN_BENCH_ROUTES=1. No tenant data.
CREATE TABLE bench_floor (
  id bigserial PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Existing organizations get the default policy (new ones get it at creation).
-- Before the wall goes up on policy_versions; organizations is read with FORCE
-- lifted for this transaction only, so a non-superuser migrator sees its rows.
ALTER TABLE organizations NO FORCE ROW LEVEL SECURITY;
INSERT INTO policy_versions (org_id, version, rules, description, status, is_active, published_at)
SELECT o.id, 1,
       '[{"name": "Default deny", "condition": "true", "effect": "deny", "risk_level": "high", "reason": "Nothing is allowed until a policy allows it", "approvals_required": null, "approval_ttl_seconds": null}]'::jsonb,
       'Default policy: deny everything', 'published', true, now()
FROM organizations o
WHERE NOT EXISTS (SELECT 1 FROM policy_versions p WHERE p.org_id = o.id);
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------------------
-- The wall.
-- ---------------------------------------------------------------------------
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['agents', 'policy_versions', 'actions', 'approvals', 'approval_decisions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I TO warden_app
      USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
      WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid)$p$, t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE ON agents TO warden_app;
GRANT SELECT, INSERT, UPDATE ON policy_versions TO warden_app;
GRANT SELECT, INSERT, UPDATE ON actions TO warden_app;
GRANT SELECT, INSERT, UPDATE ON approvals TO warden_app;
GRANT SELECT, INSERT ON approval_decisions TO warden_app;
GRANT SELECT, INSERT ON bench_floor TO warden_app;
GRANT USAGE ON SEQUENCE bench_floor_id_seq TO warden_app;

-- Approval expiry runs for every organization: this lists the organizations
-- that have pending approvals past their expiry (ids only), so a sweeper can
-- then expire them inside each organization's own tenant transaction.
CREATE FUNCTION warden_orgs_with_due_approvals(p_limit integer)
RETURNS TABLE (org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT DISTINCT a.org_id FROM public.approvals a
  WHERE a.status = 'pending' AND a.expires_at <= now()
  LIMIT p_limit
$$;
CREATE POLICY lookup_due ON approvals FOR SELECT TO warden_lookup USING (true);
GRANT SELECT ON approvals TO warden_lookup;
ALTER FUNCTION warden_orgs_with_due_approvals(integer) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_orgs_with_due_approvals(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_orgs_with_due_approvals(integer) TO warden_app;
REVOKE ALL ON FUNCTION policy_versions_guard() FROM PUBLIC;

-- The key lookup now also returns the key's agent and the organization's
-- active policy version, so the action hot path needs no further lookup before
-- its transaction. Still only what the pipeline checks.
DROP FUNCTION warden_api_key_lookup(uuid);
CREATE FUNCTION warden_api_key_lookup(p_id uuid)
RETURNS TABLE (id uuid, org_id uuid, org_slug text, org_name text, environment api_key_environment,
               secret_hash text, name text, scopes text[], agent_id uuid, ip_allowlist text[],
               rate_limit_per_minute integer, expires_at timestamptz, revoked_at timestamptz,
               replaced_by uuid, created_by_user_id uuid, last_used_at timestamptz, last_used_ip text,
               agent_slug text, agent_name text, agent_environment agent_environment, agent_tool_registry jsonb,
               agent_rate_limit_per_minute integer, agent_daily_budget integer, agent_disabled_at timestamptz,
               active_policy_id uuid, active_policy_version integer, org_sensitive_keys text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT k.id, k.org_id, o.slug, o.name, k.environment, k.secret_hash, k.name, k.scopes, k.agent_id,
         k.ip_allowlist, k.rate_limit_per_minute, k.expires_at, k.revoked_at, k.replaced_by,
         k.created_by_user_id, k.last_used_at, k.last_used_ip,
         a.slug, a.name, a.environment, a.tool_registry, a.rate_limit_per_minute, a.daily_budget, a.disabled_at,
         p.id, p.version, o.sensitive_keys
  FROM public.api_keys k
  JOIN public.organizations o ON o.id = k.org_id
  LEFT JOIN public.agents a ON a.org_id = k.org_id AND a.id = k.agent_id
  LEFT JOIN public.policy_versions p ON p.org_id = k.org_id AND p.is_active
  WHERE k.id = p_id
$$;
CREATE POLICY lookup_read ON agents FOR SELECT TO warden_lookup USING (true);
CREATE POLICY lookup_read ON policy_versions FOR SELECT TO warden_lookup USING (true);
GRANT SELECT ON agents, policy_versions TO warden_lookup;
ALTER FUNCTION warden_api_key_lookup(uuid) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_api_key_lookup(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_api_key_lookup(uuid) TO warden_app;

-- migrate:down
DROP FUNCTION IF EXISTS warden_orgs_with_due_approvals(integer);
DROP TABLE IF EXISTS bench_floor;
DROP TABLE IF EXISTS approval_decisions;
DROP TABLE IF EXISTS approvals;
DROP TABLE IF EXISTS actions;
DROP TYPE IF EXISTS action_status;
DROP TABLE IF EXISTS policy_versions;
DROP FUNCTION IF EXISTS policy_versions_guard();
ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_agent_fkey;
DROP INDEX IF EXISTS api_keys_org_id_id_key;
DROP TABLE IF EXISTS agents;
DROP TYPE IF EXISTS agent_environment;
ALTER TABLE organizations
  DROP COLUMN IF EXISTS sensitive_keys,
  DROP COLUMN IF EXISTS http_allowed_domains,
  DROP COLUMN IF EXISTS http_allowed_private_cidrs,
  DROP COLUMN IF EXISTS payload_retention_days;
