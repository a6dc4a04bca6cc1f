-- migrate:up
-- Security posture snapshots (lib/posture): the checklist as computed at one
-- moment, kept as the organization's score history. Append-only for the app.
CREATE TABLE security_posture_snapshots (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid,
  reason text NOT NULL CHECK (reason IN ('manual', 'export')),
  score integer NOT NULL CHECK (score BETWEEN 0 AND 100),
  passed integer NOT NULL CHECK (passed >= 0),
  failed integer NOT NULL CHECK (failed >= 0),
  not_available integer NOT NULL CHECK (not_available >= 0),
  report jsonb NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX security_posture_snapshots_org_created ON security_posture_snapshots (org_id, created_at DESC);

ALTER TABLE security_posture_snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE security_posture_snapshots FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON security_posture_snapshots TO warden_app
  USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
  WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT ON security_posture_snapshots TO warden_app;

-- migrate:down
DROP TABLE IF EXISTS security_posture_snapshots;
