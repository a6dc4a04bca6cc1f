-- migrate:up

-- ---------------------------------------------------------------------------
-- Audit explorer and proof packs: the filters an auditor uses, and the
-- lookup of one action's events, stay index scans on a log of millions.
-- (The primary key (org_id, seq) already serves paging and ranges by seq, and
-- audit_events_org_id_occurred_at_idx the time range.)
-- ---------------------------------------------------------------------------
CREATE INDEX audit_events_org_id_target_idx ON audit_events (org_id, target_type, target_id, seq);
CREATE INDEX audit_events_org_id_action_idx ON audit_events (org_id, action, seq);
CREATE INDEX audit_events_org_id_actor_idx ON audit_events (org_id, actor_id, seq);
-- Events that name an action in data.action_id rather than as their target.
CREATE INDEX audit_events_org_id_data_action_id_idx ON audit_events (org_id, (data->>'action_id'))
  WHERE (data->>'action_id') IS NOT NULL;

-- ---------------------------------------------------------------------------
-- Payload retention: actions whose payload is still kept, by age.
-- ---------------------------------------------------------------------------
CREATE INDEX actions_org_id_created_at_payload_kept_idx ON actions (org_id, created_at) WHERE payload_expired_at IS NULL;

-- The retention sweep runs for every organization with a retention period and
-- payloads older than it (ids only); each is then expired inside its own
-- tenant transaction. warden_lookup reads only the four columns it needs.
CREATE FUNCTION warden_orgs_with_expired_payloads(p_limit integer)
RETURNS TABLE (org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT o.id FROM public.organizations o
  WHERE o.payload_retention_days IS NOT NULL
    AND EXISTS (
      SELECT 1 FROM public.actions a
      WHERE a.org_id = o.id AND a.payload_expired_at IS NULL
        AND a.status NOT IN ('pending', 'executing')
        AND a.created_at < now() - make_interval(days => o.payload_retention_days))
  LIMIT p_limit
$$;
CREATE POLICY lookup_retention ON actions FOR SELECT TO warden_lookup USING (true);
GRANT SELECT (org_id, status, created_at, payload_expired_at) ON actions TO warden_lookup;
ALTER FUNCTION warden_orgs_with_expired_payloads(integer) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_orgs_with_expired_payloads(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_orgs_with_expired_payloads(integer) TO warden_app;

-- migrate:down
DROP FUNCTION IF EXISTS warden_orgs_with_expired_payloads(integer);
REVOKE SELECT (org_id, status, created_at, payload_expired_at) ON actions FROM warden_lookup;
DROP POLICY IF EXISTS lookup_retention ON actions;
DROP INDEX IF EXISTS actions_org_id_created_at_payload_kept_idx;
DROP INDEX IF EXISTS audit_events_org_id_data_action_id_idx;
DROP INDEX IF EXISTS audit_events_org_id_actor_idx;
DROP INDEX IF EXISTS audit_events_org_id_action_idx;
DROP INDEX IF EXISTS audit_events_org_id_target_idx;
