-- migrate:up

-- ---------------------------------------------------------------------------
-- MFA. Factors belong to a person (global, like sessions), not to an
-- organization: one authenticator app and one set of passkeys serve every
-- organization the person is in. Each table shows a user only their own rows;
-- the few reads that must happen before the user is known (a passkey sign-in
-- names a credential, not a user) or that an admin makes about a member go
-- through narrow SECURITY DEFINER functions below.
-- ---------------------------------------------------------------------------

-- A session that has passed the password but not the second factor is
-- 'mfa_pending': it can finish signing in or sign out, nothing else.
ALTER TABLE sessions
  ADD COLUMN stage text NOT NULL DEFAULT 'complete' CHECK (stage IN ('mfa_pending', 'complete')),
  ADD COLUMN mfa_failures integer NOT NULL DEFAULT 0 CHECK (mfa_failures BETWEEN 0 AND 100);

-- TOTP: the secret is encrypted with the key ring (AAD = the user id);
-- last_used_step is what makes a code single-use across every app instance:
-- a code is accepted only by an UPDATE that raises it.
CREATE TABLE user_totp (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret_encrypted text NOT NULL CHECK (char_length(secret_encrypted) <= 1000),
  confirmed_at timestamptz,
  last_used_step bigint CHECK (last_used_step >= 0),
  last_used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webauthn_credentials (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  credential_id text NOT NULL CHECK (credential_id ~ '^[A-Za-z0-9_-]{16,1400}$'),
  public_key bytea NOT NULL CHECK (octet_length(public_key) <= 2048),
  counter bigint NOT NULL DEFAULT 0 CHECK (counter >= 0),
  transports text[] NOT NULL DEFAULT '{}',
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  aaguid text,
  device_type text,
  backed_up boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE UNIQUE INDEX webauthn_credentials_credential_id_key ON webauthn_credentials (credential_id);
CREATE INDEX webauthn_credentials_user_id_idx ON webauthn_credentials (user_id);

-- Recovery codes: only a hash is stored; used_at is set by the one UPDATE that
-- accepts the code, so two concurrent uses cannot both succeed.
CREATE TABLE recovery_codes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX recovery_codes_user_id_code_hash_key ON recovery_codes (user_id, code_hash);

-- Challenges and step-up grants. A row is created with a random nonce and the
-- operation it is for (purpose, target, payload hash); the WebAuthn challenge
-- is SHA-256 over those (lib/auth/step-up.ts). It is verified once (method +
-- evidence) and used once (used_at), within expires_at. A usernameless
-- passkey sign-in's challenge has no user until it is verified.
CREATE TABLE mfa_challenges (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  session_id uuid REFERENCES sessions (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)*$' AND char_length(purpose) <= 64),
  target_id text CHECK (char_length(target_id) <= 200),
  payload_hash text CHECK (payload_hash ~ '^[0-9a-f]{64}$'),
  nonce text NOT NULL CHECK (nonce ~ '^[A-Za-z0-9_-]{16,100}$'),
  challenge text NOT NULL CHECK (challenge ~ '^[A-Za-z0-9_-]{16,100}$'),
  expires_at timestamptz NOT NULL,
  failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts BETWEEN 0 AND 100),
  verified_at timestamptz,
  method text CHECK (method IN ('totp', 'webauthn', 'recovery')),
  evidence jsonb,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (user_id IS NOT NULL OR purpose = 'sign_in')
);
CREATE INDEX mfa_challenges_user_id_idx ON mfa_challenges (user_id, created_at);
CREATE INDEX mfa_challenges_expires_at_idx ON mfa_challenges (expires_at);

-- Organization MFA policy and step-up for approvals.
ALTER TABLE organizations
  ADD COLUMN mfa_policy text NOT NULL DEFAULT 'off' CHECK (mfa_policy IN ('off', 'privileged', 'everyone')),
  ADD COLUMN mfa_passkeys_only boolean NOT NULL DEFAULT false,
  ADD COLUMN mfa_grace_until timestamptz,
  ADD COLUMN step_up_approvals text NOT NULL DEFAULT 'high' CHECK (step_up_approvals IN ('every', 'high', 'none'));

-- What a decision made with a fresh second factor proves (see docs/proof-pack-format.md).
ALTER TABLE approval_decisions ADD COLUMN mfa_evidence jsonb;

-- ---------------------------------------------------------------------------
-- The wall: a person's own rows only.
-- ---------------------------------------------------------------------------
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['user_totp', 'webauthn_credentials', 'recovery_codes'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY own_rows ON %I TO warden_app
      USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
      WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid)$p$, t);
  END LOOP;
END $$;

ALTER TABLE mfa_challenges ENABLE ROW LEVEL SECURITY;
ALTER TABLE mfa_challenges FORCE ROW LEVEL SECURITY;
-- A usernameless sign-in challenge holds nothing but a random challenge; it is
-- reachable by its unguessable id before anyone is signed in.
CREATE POLICY own_rows ON mfa_challenges TO warden_app
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid
         OR (user_id IS NULL AND purpose = 'sign_in'))
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid
              OR (user_id IS NULL AND purpose = 'sign_in'));

GRANT SELECT, INSERT, UPDATE, DELETE ON user_totp TO warden_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON webauthn_credentials TO warden_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON recovery_codes TO warden_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_challenges TO warden_app;

-- The lookup role reads factor presence (session resolution, the members
-- page), finds a passkey's owner by credential id, and carries out an admin's
-- reset of a member's factors.
CREATE POLICY lookup_read ON user_totp FOR SELECT TO warden_lookup USING (true);
CREATE POLICY lookup_delete ON user_totp FOR DELETE TO warden_lookup USING (true);
CREATE POLICY lookup_read ON webauthn_credentials FOR SELECT TO warden_lookup USING (true);
CREATE POLICY lookup_delete ON webauthn_credentials FOR DELETE TO warden_lookup USING (true);
CREATE POLICY lookup_read ON recovery_codes FOR SELECT TO warden_lookup USING (true);
CREATE POLICY lookup_delete ON recovery_codes FOR DELETE TO warden_lookup USING (true);
GRANT SELECT, DELETE ON user_totp, webauthn_credentials, recovery_codes TO warden_lookup;

-- ---------------------------------------------------------------------------
-- Session resolution now says whether the second factor is still due, which
-- factors the user has, and ends a pending second step after 10 minutes.
-- ---------------------------------------------------------------------------
DROP FUNCTION warden_session_resolve(text, integer);
CREATE FUNCTION warden_session_resolve(p_token_hash text, p_touch_after_seconds integer)
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
ALTER FUNCTION warden_session_resolve(text, integer) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_session_resolve(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_session_resolve(text, integer) TO warden_app;

-- Memberships carry each organization's MFA policy, so every request can
-- enforce it without another round trip.
DROP FUNCTION warden_user_memberships(uuid);
CREATE FUNCTION warden_user_memberships(p_user_id uuid)
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
ALTER FUNCTION warden_user_memberships(uuid) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_user_memberships(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_user_memberships(uuid) TO warden_app;

-- A passkey sign-in names a credential, not a user: its owner, nothing more.
CREATE FUNCTION warden_webauthn_credential_owner(p_credential_id text)
RETURNS TABLE (user_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY SELECT c.user_id FROM public.webauthn_credentials c WHERE c.credential_id = p_credential_id;
END $$;
ALTER FUNCTION warden_webauthn_credential_owner(text) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_webauthn_credential_owner(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_webauthn_credential_owner(text) TO warden_app;

-- The factor types of the current organization's members (the members page).
-- Only inside a tenant transaction of that organization, for its own members.
CREATE FUNCTION warden_member_factors(p_org_id uuid)
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
ALTER FUNCTION warden_member_factors(uuid) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_member_factors(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_member_factors(uuid) TO warden_app;

-- An admin's reset of a member's factors: every factor and recovery code goes,
-- and every session ends. Refused unless the caller (app.user_id) is an admin of
-- the current organization (app.org_id), the member belongs to it, and the
-- member belongs to no other organization (factors are the person's, and one
-- organization's admin must not weaken their account in another).
CREATE FUNCTION warden_reset_member_mfa(p_user_id uuid)
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
ALTER FUNCTION warden_reset_member_mfa(uuid) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_reset_member_mfa(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_reset_member_mfa(uuid) TO warden_app;

-- migrate:down
DROP FUNCTION IF EXISTS warden_reset_member_mfa(uuid);
DROP FUNCTION IF EXISTS warden_member_factors(uuid);
DROP FUNCTION IF EXISTS warden_webauthn_credential_owner(text);
DROP FUNCTION IF EXISTS warden_user_memberships(uuid);
CREATE FUNCTION warden_user_memberships(p_user_id uuid)
RETURNS TABLE (org_id uuid, slug text, name text, role public.member_role)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT o.id, o.slug, o.name, m.role
  FROM public.memberships m JOIN public.organizations o ON o.id = m.org_id
  WHERE m.user_id = p_user_id
  ORDER BY o.name, o.slug;
END $$;
ALTER FUNCTION warden_user_memberships(uuid) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_user_memberships(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_user_memberships(uuid) TO warden_app;
DROP FUNCTION IF EXISTS warden_session_resolve(text, integer);
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
ALTER FUNCTION warden_session_resolve(text, integer) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_session_resolve(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_session_resolve(text, integer) TO warden_app;
DROP TABLE IF EXISTS mfa_challenges;
DROP TABLE IF EXISTS recovery_codes;
DROP TABLE IF EXISTS webauthn_credentials;
DROP TABLE IF EXISTS user_totp;
ALTER TABLE approval_decisions DROP COLUMN IF EXISTS mfa_evidence;
ALTER TABLE organizations DROP COLUMN IF EXISTS mfa_policy, DROP COLUMN IF EXISTS mfa_passkeys_only,
  DROP COLUMN IF EXISTS mfa_grace_until, DROP COLUMN IF EXISTS step_up_approvals;
ALTER TABLE sessions DROP COLUMN IF EXISTS stage, DROP COLUMN IF EXISTS mfa_failures;
