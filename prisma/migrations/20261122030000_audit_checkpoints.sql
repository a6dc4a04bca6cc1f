-- migrate:up

-- Signed tree heads: (org, tree size, root hash, time) signed with Ed25519.
-- Append-only for the app role, like the events they cover.
CREATE TABLE audit_checkpoints (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  tree_size bigint NOT NULL CHECK (tree_size >= 0),
  root_hash text NOT NULL CHECK (root_hash ~ '^[0-9a-f]{64}$'),
  key_id text NOT NULL CHECK (key_id ~ '^[0-9a-f]{16}$'),
  signed jsonb NOT NULL,
  reason text NOT NULL CHECK (reason IN ('scheduled', 'on_demand', 'proof_pack')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_checkpoints_org_id_tree_size_idx ON audit_checkpoints (org_id, tree_size);
CREATE INDEX audit_checkpoints_org_id_created_at_idx ON audit_checkpoints (org_id, created_at);

-- Hashes of complete Merkle subtrees (RFC 6962), a cache that lets roots and
-- proofs over a large log be computed without rereading every event. Level k
-- index i covers leaves [i·2^k, (i+1)·2^k). Never trusted for verification:
-- verifiers recompute from the events.
CREATE TABLE audit_merkle_nodes (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  level smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
  idx bigint NOT NULL CHECK (idx >= 0),
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  PRIMARY KEY (org_id, level, idx)
);

ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_checkpoints TO warden_app
  USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
  WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

ALTER TABLE audit_merkle_nodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_merkle_nodes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_merkle_nodes TO warden_app
  USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
  WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

GRANT SELECT, INSERT ON audit_checkpoints TO warden_app;
GRANT SELECT, INSERT ON audit_merkle_nodes TO warden_app;

-- The scheduled checkpointer runs for every organization whose log grew since
-- its last checkpoint: ids only.
CREATE FUNCTION warden_orgs_needing_checkpoint(p_limit integer)
RETURNS TABLE (org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT h.org_id FROM public.audit_heads h
  WHERE h.seq > coalesce((SELECT max(c.tree_size) FROM public.audit_checkpoints c WHERE c.org_id = h.org_id), 0)
  LIMIT p_limit
$$;
CREATE POLICY lookup_read ON audit_heads FOR SELECT TO warden_lookup USING (true);
CREATE POLICY lookup_read ON audit_checkpoints FOR SELECT TO warden_lookup USING (true);
GRANT SELECT ON audit_heads, audit_checkpoints TO warden_lookup;
ALTER FUNCTION warden_orgs_needing_checkpoint(integer) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_orgs_needing_checkpoint(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_orgs_needing_checkpoint(integer) TO warden_app;

-- migrate:down
DROP FUNCTION IF EXISTS warden_orgs_needing_checkpoint(integer);
DROP POLICY IF EXISTS lookup_read ON audit_heads;
DROP TABLE IF EXISTS audit_merkle_nodes;
DROP TABLE IF EXISTS audit_checkpoints;
