-- migrate:up
-- How far the inline alert evaluation has gone through an organization's chain
-- (lib/alerts/evaluate-alerts.ts, evaluatePendingInline). Failed sign-ins and
-- export requests are evaluated at once, but in a transaction of their own
-- after the one that appended them: the audit head is locked only in a
-- COMMIT round trip (docs/RELIABILITY.md). Every INLINE_ACTIONS event up to
-- seq has been evaluated; a crash between the two transactions leaves the
-- cursor behind, and the next inline evaluation or the evaluator's tick
-- catches up. Separate from alert_cursors, which the durable evaluator keeps
-- locked while it works.
CREATE TABLE alert_inline_cursors (
  org_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  seq bigint NOT NULL CHECK (seq >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE alert_inline_cursors ENABLE ROW LEVEL SECURITY;
ALTER TABLE alert_inline_cursors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON alert_inline_cursors TO warden_app
  USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
  WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON alert_inline_cursors TO warden_app;

-- Organizations with rules start where their chain is: what came before was
-- evaluated inside its own transaction.
INSERT INTO alert_inline_cursors (org_id, seq)
SELECT c.org_id, h.seq FROM alert_cursors c JOIN audit_heads h ON h.org_id = c.org_id
ON CONFLICT (org_id) DO NOTHING;

-- migrate:down
DROP TABLE IF EXISTS alert_inline_cursors;
