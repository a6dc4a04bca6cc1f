-- migrate:up

-- A session can be told to step up (an alert rule's require_step_up response,
-- e.g. a sign-in from a new address): until the person confirms a fresh second
-- factor on it, it can only do that or sign out, like a pending second step.
ALTER TABLE sessions DROP CONSTRAINT sessions_stage_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_stage_check
  CHECK (stage IN ('mfa_pending', 'complete', 'step_up_required'));

-- The response, from inside an organization's tenant transaction: only a live,
-- complete session of an accepted member of that organization who has a
-- second factor to step up with. Says what it did.
CREATE FUNCTION warden_require_session_step_up(p_session_id uuid)
RETURNS TABLE (user_id uuid, outcome text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_org uuid := nullif(current_setting('app.org_id', true), '')::uuid;
  s public.sessions%ROWTYPE;
BEGIN
  IF v_org IS NULL THEN
    RAISE EXCEPTION 'warden_require_session_step_up: no organization' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO s FROM public.sessions x WHERE x.id = p_session_id FOR UPDATE;
  IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM public.memberships m
                              WHERE m.org_id = v_org AND m.user_id = s.user_id AND m.accepted_at IS NOT NULL) THEN
    user_id := NULL;
    outcome := 'unknown';
    RETURN NEXT;
    RETURN;
  END IF;
  user_id := s.user_id;
  IF s.revoked_at IS NOT NULL THEN
    outcome := 'ended';
  ELSIF s.stage <> 'complete' THEN
    outcome := 'already';
  ELSIF NOT EXISTS (SELECT 1 FROM public.user_totp t WHERE t.user_id = s.user_id AND t.confirmed_at IS NOT NULL)
        AND NOT EXISTS (SELECT 1 FROM public.webauthn_credentials c WHERE c.user_id = s.user_id) THEN
    outcome := 'no_factor';
  ELSE
    UPDATE public.sessions x SET stage = 'step_up_required' WHERE x.id = s.id;
    outcome := 'required';
  END IF;
  RETURN NEXT;
END $$;
ALTER FUNCTION warden_require_session_step_up(uuid) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_require_session_step_up(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_require_session_step_up(uuid) TO warden_app;

-- migrate:down
DROP FUNCTION IF EXISTS warden_require_session_step_up(uuid);
UPDATE sessions SET stage = 'complete' WHERE stage = 'step_up_required';
ALTER TABLE sessions DROP CONSTRAINT sessions_stage_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_stage_check CHECK (stage IN ('mfa_pending', 'complete'));
