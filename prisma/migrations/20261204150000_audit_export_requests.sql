-- migrate:up
-- Audit exports as requests (lib/audit/export-requests.ts). Every export is
-- first a row with its range fixed (through_seq) and its size estimated; an
-- alert rule with a require_approval response (template 4: larger than 1 GB)
-- can hold it in 'pending_approval' in the transaction that records the
-- request, so no export larger than the limit starts before a person with
-- approvals:decide (not the requester) approved it. A request is downloaded
-- once ('started').
--
-- Idempotent: this migration briefly shared its version with another one, so a
-- database may already have the table.
CREATE TABLE IF NOT EXISTS audit_export_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  requested_by_user_id uuid,
  requested_by_key_id uuid,
  format text NOT NULL CHECK (format IN ('jsonl', 'csv')),
  from_at timestamptz,
  to_at timestamptz,
  through_seq bigint NOT NULL CHECK (through_seq >= 0),
  estimated_events bigint NOT NULL CHECK (estimated_events >= 0),
  estimated_bytes bigint NOT NULL CHECK (estimated_bytes >= 0),
  status text NOT NULL CHECK (status IN ('ready', 'pending_approval', 'approved', 'rejected', 'expired', 'started')),
  approval_expires_at timestamptz,
  firing_id uuid,
  decided_by_user_id uuid,
  decided_at timestamptz,
  decision_reason text CHECK (char_length(decision_reason) <= 500),
  started_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (requested_by_user_id IS NOT NULL OR requested_by_key_id IS NOT NULL),
  CHECK (status <> 'pending_approval' OR approval_expires_at IS NOT NULL),
  UNIQUE (org_id, id)
);
CREATE INDEX IF NOT EXISTS audit_export_requests_status ON audit_export_requests (org_id, status, created_at);

ALTER TABLE audit_export_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_export_requests FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON audit_export_requests;
CREATE POLICY tenant_isolation ON audit_export_requests TO warden_app
  USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
  WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON audit_export_requests TO warden_app;

-- migrate:down
DROP TABLE IF EXISTS audit_export_requests;
