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
RETURNS TABLE (org_id uuid, slug text, name text, role public.member_role, mfa_policy text,
               mfa_passkeys_only boolean, mfa_grace_until timestamptz, step_up_approvals text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT o.id, o.slug, o.name, m.role, o.mfa_policy, o.mfa_passkeys_only, o.mfa_grace_until, o.step_up_approvals
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
               absolute_timeout_seconds integer, stage text, factors text[])
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
  ELSIF s.stage = 'mfa_pending' AND now() - s.created_at > interval '10 minutes' THEN
    UPDATE public.sessions SET revoked_at = now(), revoke_reason = 'mfa_timeout' WHERE id = s.id;
    status := 'expired';
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
  stage := s.stage;
  factors := array_remove(ARRAY[
    CASE WHEN EXISTS (SELECT 1 FROM public.user_totp t WHERE t.user_id = s.user_id AND t.confirmed_at IS NOT NULL)
         THEN 'totp' END,
    CASE WHEN EXISTS (SELECT 1 FROM public.webauthn_credentials c WHERE c.user_id = s.user_id)
         THEN 'webauthn' END], NULL);
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

-- The members page shows factors only of people who joined: a pending
-- invitation must not reveal whether the address has an account with passkeys.
CREATE OR REPLACE FUNCTION warden_member_factors(p_org_id uuid)
RETURNS TABLE (user_id uuid, totp boolean, passkeys integer, recovery_codes_left integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF p_org_id IS DISTINCT FROM nullif(current_setting('app.org_id', true), '')::uuid THEN
    RAISE EXCEPTION 'warden_member_factors: not the current organization' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN QUERY
  SELECT m.user_id,
         EXISTS (SELECT 1 FROM public.user_totp t WHERE t.user_id = m.user_id AND t.confirmed_at IS NOT NULL),
         (SELECT count(*)::int FROM public.webauthn_credentials c WHERE c.user_id = m.user_id),
         (SELECT count(*)::int FROM public.recovery_codes r WHERE r.user_id = m.user_id AND r.used_at IS NULL)
  FROM public.memberships m WHERE m.org_id = p_org_id AND m.accepted_at IS NOT NULL;
END $$;

-- An admin may reset the factors only of a member who accepted (and belongs
-- nowhere else): a pending invitation gives no power over the person's account.
CREATE OR REPLACE FUNCTION warden_reset_member_mfa(p_user_id uuid)
RETURNS TABLE (totp integer, passkeys integer, recovery_codes integer, sessions integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_org uuid := nullif(current_setting('app.org_id', true), '')::uuid;
  v_admin uuid := nullif(current_setting('app.user_id', true), '')::uuid;
BEGIN
  IF v_org IS NULL OR v_admin IS NULL OR NOT EXISTS (
       SELECT 1 FROM public.memberships m WHERE m.org_id = v_org AND m.user_id = v_admin AND m.role = 'admin'
         AND m.accepted_at IS NOT NULL) THEN
    RAISE EXCEPTION 'warden_reset_member_mfa: the caller is not an admin here' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM public.memberships m
                 WHERE m.org_id = v_org AND m.user_id = p_user_id AND m.accepted_at IS NOT NULL) THEN
    RAISE EXCEPTION 'warden_reset_member_mfa: not a member' USING ERRCODE = 'no_data_found';
  END IF;
  IF EXISTS (SELECT 1 FROM public.memberships m WHERE m.user_id = p_user_id AND m.org_id <> v_org) THEN
    RAISE EXCEPTION 'warden_reset_member_mfa: member of another organization' USING ERRCODE = 'object_in_use';
  END IF;
  DELETE FROM public.user_totp t WHERE t.user_id = p_user_id;
  GET DIAGNOSTICS totp = ROW_COUNT;
  DELETE FROM public.webauthn_credentials c WHERE c.user_id = p_user_id;
  GET DIAGNOSTICS passkeys = ROW_COUNT;
  DELETE FROM public.recovery_codes r WHERE r.user_id = p_user_id AND r.used_at IS NULL;
  GET DIAGNOSTICS recovery_codes = ROW_COUNT;
  UPDATE public.sessions s SET revoked_at = now(), revoke_reason = 'mfa_reset'
   WHERE s.user_id = p_user_id AND s.revoked_at IS NULL;
  GET DIAGNOSTICS sessions = ROW_COUNT;
  RETURN NEXT;
END $$;

-- migrate:down
CREATE OR REPLACE FUNCTION warden_user_memberships(p_user_id uuid)
RETURNS TABLE (org_id uuid, slug text, name text, role public.member_role, mfa_policy text,
               mfa_passkeys_only boolean, mfa_grace_until timestamptz, step_up_approvals text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT o.id, o.slug, o.name, m.role, o.mfa_policy, o.mfa_passkeys_only, o.mfa_grace_until, o.step_up_approvals
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
               absolute_timeout_seconds integer, stage text, factors text[])
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
  ELSIF s.stage = 'mfa_pending' AND now() - s.created_at > interval '10 minutes' THEN
    UPDATE public.sessions SET revoked_at = now(), revoke_reason = 'mfa_timeout' WHERE id = s.id;
    status := 'expired';
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
  stage := s.stage;
  factors := array_remove(ARRAY[
    CASE WHEN EXISTS (SELECT 1 FROM public.user_totp t WHERE t.user_id = s.user_id AND t.confirmed_at IS NOT NULL)
         THEN 'totp' END,
    CASE WHEN EXISTS (SELECT 1 FROM public.webauthn_credentials c WHERE c.user_id = s.user_id)
         THEN 'webauthn' END], NULL);
  RETURN NEXT;
END $$;
CREATE OR REPLACE FUNCTION warden_member_factors(p_org_id uuid)
RETURNS TABLE (user_id uuid, totp boolean, passkeys integer, recovery_codes_left integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF p_org_id IS DISTINCT FROM nullif(current_setting('app.org_id', true), '')::uuid THEN
    RAISE EXCEPTION 'warden_member_factors: not the current organization' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN QUERY
  SELECT m.user_id,
         EXISTS (SELECT 1 FROM public.user_totp t WHERE t.user_id = m.user_id AND t.confirmed_at IS NOT NULL),
         (SELECT count(*)::int FROM public.webauthn_credentials c WHERE c.user_id = m.user_id),
         (SELECT count(*)::int FROM public.recovery_codes r WHERE r.user_id = m.user_id AND r.used_at IS NULL)
  FROM public.memberships m WHERE m.org_id = p_org_id;
END $$;
CREATE OR REPLACE FUNCTION warden_reset_member_mfa(p_user_id uuid)
RETURNS TABLE (totp integer, passkeys integer, recovery_codes integer, sessions integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_org uuid := nullif(current_setting('app.org_id', true), '')::uuid;
  v_admin uuid := nullif(current_setting('app.user_id', true), '')::uuid;
BEGIN
  IF v_org IS NULL OR v_admin IS NULL OR NOT EXISTS (
       SELECT 1 FROM public.memberships m WHERE m.org_id = v_org AND m.user_id = v_admin AND m.role = 'admin') THEN
    RAISE EXCEPTION 'warden_reset_member_mfa: the caller is not an admin here' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM public.memberships m WHERE m.org_id = v_org AND m.user_id = p_user_id) THEN
    RAISE EXCEPTION 'warden_reset_member_mfa: not a member' USING ERRCODE = 'no_data_found';
  END IF;
  IF EXISTS (SELECT 1 FROM public.memberships m WHERE m.user_id = p_user_id AND m.org_id <> v_org) THEN
    RAISE EXCEPTION 'warden_reset_member_mfa: member of another organization' USING ERRCODE = 'object_in_use';
  END IF;
  DELETE FROM public.user_totp t WHERE t.user_id = p_user_id;
  GET DIAGNOSTICS totp = ROW_COUNT;
  DELETE FROM public.webauthn_credentials c WHERE c.user_id = p_user_id;
  GET DIAGNOSTICS passkeys = ROW_COUNT;
  DELETE FROM public.recovery_codes r WHERE r.user_id = p_user_id AND r.used_at IS NULL;
  GET DIAGNOSTICS recovery_codes = ROW_COUNT;
  UPDATE public.sessions s SET revoked_at = now(), revoke_reason = 'mfa_reset'
   WHERE s.user_id = p_user_id AND s.revoked_at IS NULL;
  GET DIAGNOSTICS sessions = ROW_COUNT;
  RETURN NEXT;
END $$;
ALTER TABLE memberships DROP COLUMN IF EXISTS accepted_at;
