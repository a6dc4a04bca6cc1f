-- migrate:up

-- The export expiry sweep: organizations with an audit export request whose time
-- ran out without anything recording it (ids only). Each is then expired inside
-- its own tenant transaction, with an audit event.
CREATE FUNCTION warden_orgs_with_expired_exports(p_ready_seconds integer, p_approved_seconds integer, p_limit integer)
RETURNS TABLE (org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT DISTINCT r.org_id FROM public.audit_export_requests r
  WHERE (r.status = 'pending_approval' AND r.approval_expires_at <= now())
     OR (r.status = 'approved' AND r.decided_at <= now() - make_interval(secs => p_approved_seconds))
     OR (r.status = 'ready' AND r.created_at <= now() - make_interval(secs => p_ready_seconds))
  LIMIT p_limit
$$;
CREATE POLICY lookup_due ON audit_export_requests FOR SELECT TO warden_lookup USING (true);
GRANT SELECT (org_id, status, approval_expires_at, decided_at, created_at) ON audit_export_requests TO warden_lookup;
ALTER FUNCTION warden_orgs_with_expired_exports(integer, integer, integer) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_orgs_with_expired_exports(integer, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_orgs_with_expired_exports(integer, integer, integer) TO warden_app;

-- migrate:down
DROP FUNCTION IF EXISTS warden_orgs_with_expired_exports(integer, integer, integer);
REVOKE SELECT (org_id, status, approval_expires_at, decided_at, created_at) ON audit_export_requests FROM warden_lookup;
DROP POLICY IF EXISTS lookup_due ON audit_export_requests;
