-- migrate:up
-- Consent to membership. Adding an e-mail that already has an account used to
-- put that person into the organization at once. Now every membership added by
-- an admin starts unaccepted (accepted_at NULL) and takes effect only when the
-- person accepts the invitation: until then it grants nothing (no organization
-- in their list, no session policy over them, no authority for keys) and
-- counts for nothing (not an admin for the last-admin rule, not notified).
-- Memberships that people create for themselves (creating an organization,
-- signing in through SSO) are accepted when created: the column defaults to now().
ALTER TABLE memberships ADD COLUMN accepted_at timestamptz DEFAULT now();
-- Existing memberships: accepted, except those still waiting on an invitation.
UPDATE memberships m SET accepted_at = m.created_at
WHERE NOT EXISTS (
  SELECT 1 FROM invitations i
  WHERE i.org_id = m.org_id AND i.user_id = m.user_id AND i.accepted_at IS NULL AND i.revoked_at IS NULL
);
UPDATE memberships m SET accepted_at = NULL
WHERE EXISTS (
  SELECT 1 FROM invitations i
  WHERE i.org_id = m.org_id AND i.user_id = m.user_id AND i.accepted_at IS NULL AND i.revoked_at IS NULL
);

CREATE OR REPLACE FUNCTION warden_user_memberships(p_user_id uuid)
RETURNS TABLE (org_id uuid, slug text, name text, role public.member_role)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT o.id, o.slug, o.name, m.role
  FROM public.memberships m JOIN public.organizations o ON o.id = m.org_id
  WHERE m.user_id = p_user_id AND m.accepted_at IS NOT NULL
  ORDER BY o.name, o.slug;
END $$;

-- Two changes: only accepted memberships set the timeouts (an organization
-- cannot shorten the sessions of someone who never joined it), and last_seen_at
-- is written at least ten times per idle period (at most every
-- p_touch_after_seconds), so a short idle timeout never ends a session in use.
CREATE OR REPLACE FUNCTION warden_session_resolve(p_token_hash text, p_touch_after_seconds integer)
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
  WHERE m.user_id = s.user_id AND m.accepted_at IS NOT NULL;
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
    IF now() - s.last_seen_at > make_interval(secs => least(p_touch_after_seconds, greatest(1, v_idle / 10))) THEN
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

-- A key acts for its creator only while the creator's membership is accepted.
CREATE OR REPLACE FUNCTION warden_api_key_lookup(p_id uuid)
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
  LEFT JOIN public.memberships m
    ON m.org_id = k.org_id AND m.user_id = k.created_by_user_id AND m.accepted_at IS NOT NULL
  LEFT JOIN public.agents a ON a.org_id = k.org_id AND a.id = k.agent_id
  LEFT JOIN public.policy_versions p ON p.org_id = k.org_id AND p.is_active
  WHERE k.id = p_id;
END $$;

-- migrate:down
CREATE OR REPLACE FUNCTION warden_user_memberships(p_user_id uuid)
RETURNS TABLE (org_id uuid, slug text, name text, role public.member_role)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT o.id, o.slug, o.name, m.role
  FROM public.memberships m JOIN public.organizations o ON o.id = m.org_id
  WHERE m.user_id = p_user_id
  ORDER BY o.name, o.slug;
END $$;
CREATE OR REPLACE FUNCTION warden_api_key_lookup(p_id uuid)
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
CREATE OR REPLACE FUNCTION warden_session_resolve(p_token_hash text, p_touch_after_seconds integer)
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
ALTER TABLE memberships DROP COLUMN IF EXISTS accepted_at;
