-- migrate:up

-- What /metrics reports about the whole installation at scrape time: counts and
-- ages only, never an organization, user, key or agent id.
--   pending_approvals       approvals waiting for a decision
--   oldest_pending_seconds  how long the oldest of them has waited (0 when none)
--   checkpoint_age_seconds  among organizations whose log grew since their last
--                           signed checkpoint, the longest time since that
--                           checkpoint (since the organization was created when
--                           it has none); 0 when every log is checkpointed
CREATE FUNCTION warden_metrics_snapshot()
RETURNS TABLE (pending_approvals bigint, oldest_pending_seconds double precision, checkpoint_age_seconds double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT
    (SELECT count(*) FROM public.approvals a WHERE a.status = 'pending'),
    coalesce((SELECT extract(epoch FROM now() - min(a.created_at)) FROM public.approvals a WHERE a.status = 'pending'), 0),
    coalesce((
      SELECT max(extract(epoch FROM now() - coalesce(c.last_at, o.created_at)))
      FROM public.audit_heads h
      JOIN public.organizations o ON o.id = h.org_id
      LEFT JOIN LATERAL (
        SELECT max(cp.tree_size) AS size, max(cp.created_at) AS last_at
        FROM public.audit_checkpoints cp WHERE cp.org_id = h.org_id
      ) c ON true
      WHERE h.seq > coalesce(c.size, 0)
    ), 0)
$$;
ALTER FUNCTION warden_metrics_snapshot() OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_metrics_snapshot() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_metrics_snapshot() TO warden_app;

-- For readiness (/api/ready): the migration versions this database has applied
-- (dbmate's bookkeeping, which the app role cannot read).
GRANT SELECT ON schema_migrations TO warden_lookup;
CREATE FUNCTION warden_applied_migrations()
RETURNS TABLE (version text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT m.version::text FROM public.schema_migrations m ORDER BY m.version
$$;
ALTER FUNCTION warden_applied_migrations() OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_applied_migrations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_applied_migrations() TO warden_app;

-- migrate:down
DROP FUNCTION IF EXISTS warden_applied_migrations();
REVOKE SELECT ON schema_migrations FROM warden_lookup;
DROP FUNCTION IF EXISTS warden_metrics_snapshot();
