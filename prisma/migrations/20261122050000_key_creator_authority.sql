-- migrate:up

-- ---------------------------------------------------------------------------
-- A key acts for the person who created it, and never for more than that
-- person holds now: the lookup returns the creator's current role in the
-- key's organization, the verifier narrows the key's scopes to it, and a key
-- whose creator is no longer a member is refused. A key created by another
-- key acts for the person behind that key (created_by_user_id is carried over;
-- created_by_key_id still names the key that made it).
-- ---------------------------------------------------------------------------

-- Keys that keys made before this migration: carry the person over, through
-- chains of any depth. (Runs as the owner; with FORCE ROW LEVEL SECURITY a
-- non-superuser owner sees no rows here, and such keys are then refused until
-- re-created, which fails closed.)
DO $$
BEGIN
  LOOP
    UPDATE api_keys c SET created_by_user_id = p.created_by_user_id
    FROM api_keys p
    WHERE c.created_by_key_id = p.id AND c.org_id = p.org_id
      AND c.created_by_user_id IS NULL AND p.created_by_user_id IS NOT NULL;
    EXIT WHEN NOT FOUND;
  END LOOP;
END $$;

DROP FUNCTION warden_api_key_lookup(uuid);
CREATE FUNCTION warden_api_key_lookup(p_id uuid)
RETURNS TABLE (id uuid, org_id uuid, org_slug text, org_name text, environment api_key_environment,
               secret_hash text, name text, scopes text[], agent_id uuid, ip_allowlist text[],
               rate_limit_per_minute integer, expires_at timestamptz, revoked_at timestamptz,
               replaced_by uuid, created_by_user_id uuid, creator_role member_role,
               last_used_at timestamptz, last_used_ip text,
               agent_slug text, agent_name text, agent_environment agent_environment, agent_tool_registry jsonb,
               agent_rate_limit_per_minute integer, agent_daily_budget integer, agent_disabled_at timestamptz,
               active_policy_id uuid, active_policy_version integer, org_sensitive_keys text[])
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT k.id, k.org_id, o.slug, o.name, k.environment, k.secret_hash, k.name, k.scopes, k.agent_id,
         k.ip_allowlist, k.rate_limit_per_minute, k.expires_at, k.revoked_at, k.replaced_by,
         k.created_by_user_id, m.role, k.last_used_at, k.last_used_ip,
         a.slug, a.name, a.environment, a.tool_registry, a.rate_limit_per_minute, a.daily_budget, a.disabled_at,
         p.id, p.version, o.sensitive_keys
  FROM public.api_keys k
  JOIN public.organizations o ON o.id = k.org_id
  LEFT JOIN public.memberships m ON m.org_id = k.org_id AND m.user_id = k.created_by_user_id
  LEFT JOIN public.agents a ON a.org_id = k.org_id AND a.id = k.agent_id
  LEFT JOIN public.policy_versions p ON p.org_id = k.org_id AND p.is_active
  WHERE k.id = p_id;
END $$;
ALTER FUNCTION warden_api_key_lookup(uuid) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_api_key_lookup(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_api_key_lookup(uuid) TO warden_app;

-- Revoking the keys of a member who is removed looks them up by creator.
CREATE INDEX api_keys_org_id_created_by_user_id_idx ON api_keys (org_id, created_by_user_id) WHERE revoked_at IS NULL;

-- migrate:down
DROP INDEX IF EXISTS api_keys_org_id_created_by_user_id_idx;
DROP FUNCTION warden_api_key_lookup(uuid);
CREATE FUNCTION warden_api_key_lookup(p_id uuid)
RETURNS TABLE (id uuid, org_id uuid, org_slug text, org_name text, environment api_key_environment,
               secret_hash text, name text, scopes text[], agent_id uuid, ip_allowlist text[],
               rate_limit_per_minute integer, expires_at timestamptz, revoked_at timestamptz,
               replaced_by uuid, created_by_user_id uuid, last_used_at timestamptz, last_used_ip text,
               agent_slug text, agent_name text, agent_environment agent_environment, agent_tool_registry jsonb,
               agent_rate_limit_per_minute integer, agent_daily_budget integer, agent_disabled_at timestamptz,
               active_policy_id uuid, active_policy_version integer, org_sensitive_keys text[])
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT k.id, k.org_id, o.slug, o.name, k.environment, k.secret_hash, k.name, k.scopes, k.agent_id,
         k.ip_allowlist, k.rate_limit_per_minute, k.expires_at, k.revoked_at, k.replaced_by,
         k.created_by_user_id, k.last_used_at, k.last_used_ip,
         a.slug, a.name, a.environment, a.tool_registry, a.rate_limit_per_minute, a.daily_budget, a.disabled_at,
         p.id, p.version, o.sensitive_keys
  FROM public.api_keys k
  JOIN public.organizations o ON o.id = k.org_id
  LEFT JOIN public.agents a ON a.org_id = k.org_id AND a.id = k.agent_id
  LEFT JOIN public.policy_versions p ON p.org_id = k.org_id AND p.is_active
  WHERE k.id = p_id;
END $$;
ALTER FUNCTION warden_api_key_lookup(uuid) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_api_key_lookup(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_api_key_lookup(uuid) TO warden_app;
