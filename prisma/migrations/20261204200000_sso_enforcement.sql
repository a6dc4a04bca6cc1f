-- migrate:up

-- SSO-only sign-in per organization: password and passkey-first sessions may
-- not act in it; admins may break glass with a recovery code (audited, every
-- admin notified). Turned on only after the enforcing admin's own test sign-in.
ALTER TABLE organizations
  ADD COLUMN sso_enforced boolean NOT NULL DEFAULT false,
  ADD COLUMN sso_enforced_at timestamptz,
  ADD COLUMN sso_enforced_by uuid;

-- A connection may let the IdP's fresh multi-factor authentication (OIDC amr/acr,
-- SAML AuthnContext) satisfy the organization's MFA policy.
ALTER TABLE sso_connections ADD COLUMN idp_mfa boolean NOT NULL DEFAULT false;

-- Memberships also carry whether the organization is SSO-only, so every
-- request can enforce it without another round trip.
DROP FUNCTION warden_user_memberships(uuid);
CREATE FUNCTION warden_user_memberships(p_user_id uuid)
RETURNS TABLE (org_id uuid, slug text, name text, role public.member_role, mfa_policy text,
               mfa_passkeys_only boolean, mfa_grace_until timestamptz, step_up_approvals text,
               sso_enforced boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT o.id, o.slug, o.name, m.role, o.mfa_policy, o.mfa_passkeys_only, o.mfa_grace_until, o.step_up_approvals,
         o.sso_enforced
  FROM public.memberships m JOIN public.organizations o ON o.id = m.org_id
  WHERE m.user_id = p_user_id AND m.accepted_at IS NOT NULL
  ORDER BY o.name, o.slug;
END $$;
ALTER FUNCTION warden_user_memberships(uuid) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_user_memberships(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_user_memberships(uuid) TO warden_app;

-- migrate:down
DROP FUNCTION warden_user_memberships(uuid);
CREATE FUNCTION warden_user_memberships(p_user_id uuid)
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
ALTER FUNCTION warden_user_memberships(uuid) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_user_memberships(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_user_memberships(uuid) TO warden_app;
ALTER TABLE sso_connections DROP COLUMN IF EXISTS idp_mfa;
ALTER TABLE organizations DROP COLUMN IF EXISTS sso_enforced_by, DROP COLUMN IF EXISTS sso_enforced_at,
  DROP COLUMN IF EXISTS sso_enforced;
