-- migrate:up

-- ---------------------------------------------------------------------------
-- Alert rules over each organization's audit chain (lib/alerts). A rule is a
-- row naming its current version; the content of every version is kept,
-- immutable, in alert_rule_versions (like policy versions). Rules are never
-- deleted (firings name them); they are disabled.
-- ---------------------------------------------------------------------------
CREATE TABLE alert_rules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  template text CHECK (template ~ '^[a-z0-9_]{1,64}$'),
  mode text NOT NULL CHECK (mode IN ('active', 'shadow', 'disabled')),
  version integer NOT NULL CHECK (version >= 1),
  created_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX alert_rules_org_id_id_key ON alert_rules (org_id, id);
CREATE UNIQUE INDEX alert_rules_org_id_name_key ON alert_rules (org_id, name);

CREATE TABLE alert_rule_versions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  rule_id uuid NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  spec jsonb NOT NULL,
  created_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (org_id, rule_id) REFERENCES alert_rules (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX alert_rule_versions_org_id_rule_id_version_key ON alert_rule_versions (org_id, rule_id, version);
CREATE UNIQUE INDEX alert_rule_versions_org_id_id_key ON alert_rule_versions (org_id, id);

CREATE FUNCTION alert_rule_versions_refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE EXCEPTION 'alert rule versions are immutable (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER alert_rule_versions_immutable BEFORE UPDATE ON alert_rule_versions
  FOR EACH ROW EXECUTE FUNCTION alert_rule_versions_refuse_change();
REVOKE ALL ON FUNCTION alert_rule_versions_refuse_change() FROM PUBLIC;

-- The evaluator's durable position in each organization's chain: every event
-- up to seq has been evaluated. Advanced in the same transaction as the
-- firings it produced, so a crash replays the batch and nothing is lost or
-- counted twice.
CREATE TABLE alert_cursors (
  org_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  seq bigint NOT NULL CHECK (seq >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Per rule and group (the values of the rule's group_by fields): the window
-- state and the alert's status (pending → firing → resolved).
CREATE TABLE alert_groups (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  rule_id uuid NOT NULL,
  group_key text NOT NULL CHECK (char_length(group_key) <= 1024),
  status text NOT NULL CHECK (status IN ('idle', 'pending', 'firing', 'resolved')),
  state jsonb NOT NULL DEFAULT '{}',
  last_seq bigint NOT NULL DEFAULT 0,
  cooldown_until timestamptz,
  resolve_at timestamptz,
  due_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, rule_id, group_key),
  FOREIGN KEY (org_id, rule_id) REFERENCES alert_rules (org_id, id) ON DELETE CASCADE
);
CREATE INDEX alert_groups_due_idx ON alert_groups (org_id, least(resolve_at, due_at))
  WHERE resolve_at IS NOT NULL OR due_at IS NOT NULL;

-- One row per firing. Unique on rule + dedup key (group and window), which is
-- what makes a replayed batch or a second instance unable to fire twice.
CREATE TABLE alert_firings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  rule_id uuid NOT NULL,
  rule_version integer NOT NULL,
  group_key text NOT NULL CHECK (char_length(group_key) <= 1024),
  dedup_key text NOT NULL CHECK (char_length(dedup_key) <= 2048),
  outcome text NOT NULL CHECK (outcome IN ('executed', 'shadow', 'silenced', 'capped')),
  status text NOT NULL CHECK (status IN ('firing', 'resolved')),
  silence_id uuid,
  severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  summary text NOT NULL CHECK (char_length(summary) <= 1000),
  triggering jsonb NOT NULL,
  responses jsonb NOT NULL DEFAULT '[]',
  window_start timestamptz NOT NULL,
  fired_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  FOREIGN KEY (org_id, rule_id) REFERENCES alert_rules (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX alert_firings_org_id_rule_id_dedup_key_key ON alert_firings (org_id, rule_id, dedup_key);
CREATE UNIQUE INDEX alert_firings_org_id_id_key ON alert_firings (org_id, id);
CREATE INDEX alert_firings_org_id_fired_at_idx ON alert_firings (org_id, fired_at DESC);
CREATE INDEX alert_firings_org_id_rule_id_fired_at_idx ON alert_firings (org_id, rule_id, fired_at DESC);

-- Silences: no responses for a rule (or one group of it) until expiry.
CREATE TABLE alert_silences (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  rule_id uuid,
  group_key text CHECK (char_length(group_key) <= 1024),
  reason text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
  created_by_user_id uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  ended_at timestamptz,
  ended_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  FOREIGN KEY (org_id, rule_id) REFERENCES alert_rules (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX alert_silences_org_id_id_key ON alert_silences (org_id, id);
CREATE INDEX alert_silences_org_id_expires_at_idx ON alert_silences (org_id, expires_at) WHERE ended_at IS NULL;

-- Where notifications go outside the app: e-mail recipients, a Slack incoming
-- webhook, or a generic webhook signed per Standard Webhooks. URLs and webhook
-- secrets are encrypted with the organization-independent key ring (AAD = id).
CREATE TABLE alert_channels (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('email', 'slack', 'webhook')),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  config jsonb NOT NULL DEFAULT '{}',
  secret_encrypted text,
  disabled_at timestamptz,
  disabled_reason text CHECK (char_length(disabled_reason) <= 500),
  created_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX alert_channels_org_id_id_key ON alert_channels (org_id, id);
CREATE UNIQUE INDEX alert_channels_org_id_name_key ON alert_channels (org_id, name);

-- The delivery log: one row per message to a channel, with its attempts. The
-- job queue (graphile-worker) only carries (org_id, delivery_id).
CREATE TABLE alert_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  channel_id uuid NOT NULL,
  firing_id uuid,
  event_type text NOT NULL CHECK (event_type ~ '^[a-z][a-z0-9_.]{0,63}$'),
  payload jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  last_status integer,
  last_error text CHECK (char_length(last_error) <= 1000),
  replay_of uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  FOREIGN KEY (org_id, channel_id) REFERENCES alert_channels (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, firing_id) REFERENCES alert_firings (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX alert_deliveries_org_id_id_key ON alert_deliveries (org_id, id);
CREATE INDEX alert_deliveries_org_id_created_at_idx ON alert_deliveries (org_id, created_at DESC);

-- The in-app inbox: one row per member and notification.
CREATE TABLE notifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  firing_id uuid,
  severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
  body text NOT NULL CHECK (char_length(body) <= 2000),
  created_at timestamptz NOT NULL DEFAULT now(),
  read_at timestamptz,
  FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, firing_id) REFERENCES alert_firings (org_id, id) ON DELETE CASCADE
);
CREATE INDEX notifications_org_id_user_id_created_at_idx ON notifications (org_id, user_id, created_at DESC);
CREATE INDEX notifications_unread_idx ON notifications (org_id, user_id) WHERE read_at IS NULL;

-- Addresses each key has been used from: the first use from a new one is an
-- audit event (api_key.new_address), which rules can react to.
CREATE TABLE api_key_addresses (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  key_id uuid NOT NULL,
  ip text NOT NULL CHECK (char_length(ip) <= 64),
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, key_id, ip),
  FOREIGN KEY (org_id, key_id) REFERENCES api_keys (org_id, id) ON DELETE CASCADE
);

-- A member locked out of one organization (lock_user): no session access to
-- it, no key acting for them, and no password sign-in while any lock holds.
CREATE TABLE member_locks (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  locked_until timestamptz NOT NULL,
  reason text NOT NULL CHECK (char_length(reason) <= 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id),
  FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);

-- suspend_key / throttle_key.
ALTER TABLE api_keys
  ADD COLUMN suspended_at timestamptz,
  ADD COLUMN suspend_reason text CHECK (char_length(suspend_reason) <= 500),
  ADD COLUMN throttle_per_minute integer CHECK (throttle_per_minute BETWEEN 1 AND 1000000),
  ADD COLUMN throttled_until timestamptz;

-- ---------------------------------------------------------------------------
-- The wall.
-- ---------------------------------------------------------------------------
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['alert_rules', 'alert_rule_versions', 'alert_cursors', 'alert_groups', 'alert_firings',
                           'alert_silences', 'alert_channels', 'alert_deliveries', 'notifications',
                           'api_key_addresses', 'member_locks'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I TO warden_app
      USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
      WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid)$p$, t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE ON alert_rules TO warden_app;
GRANT SELECT, INSERT ON alert_rule_versions TO warden_app;
GRANT SELECT, INSERT, UPDATE ON alert_cursors TO warden_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON alert_groups TO warden_app;
GRANT SELECT, INSERT, UPDATE ON alert_firings TO warden_app;
GRANT SELECT, INSERT, UPDATE ON alert_silences TO warden_app;
GRANT SELECT, INSERT, UPDATE ON alert_channels TO warden_app;
GRANT SELECT, INSERT, UPDATE ON alert_deliveries TO warden_app;
GRANT SELECT, INSERT, UPDATE ON notifications TO warden_app;
GRANT SELECT, INSERT ON api_key_addresses TO warden_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON member_locks TO warden_app;

-- ---------------------------------------------------------------------------
-- Lookups for the evaluator (ids only; the work happens inside each
-- organization's tenant transaction) and for locks before a tenant is known.
-- ---------------------------------------------------------------------------
CREATE POLICY lookup_read ON alert_cursors FOR SELECT TO warden_lookup USING (true);
CREATE POLICY lookup_read ON alert_groups FOR SELECT TO warden_lookup USING (true);
CREATE POLICY lookup_read ON member_locks FOR SELECT TO warden_lookup USING (true);
GRANT SELECT ON alert_cursors, alert_groups, member_locks TO warden_lookup;
GRANT SELECT (org_id, id, created_by_user_id, suspended_at, throttle_per_minute, throttled_until) ON api_keys TO warden_lookup;

-- Organizations whose chain has events the evaluator has not seen, or whose
-- alert groups have a timer due (window end, absence deadline).
CREATE FUNCTION warden_orgs_with_alert_work(p_limit integer)
RETURNS TABLE (org_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT c.org_id FROM public.alert_cursors c JOIN public.audit_heads h ON h.org_id = c.org_id
  WHERE h.seq > c.seq
  UNION
  SELECT DISTINCT g.org_id FROM public.alert_groups g
  WHERE (g.resolve_at IS NOT NULL OR g.due_at IS NOT NULL) AND least(g.resolve_at, g.due_at) <= now()
  LIMIT p_limit;
END $$;
ALTER FUNCTION warden_orgs_with_alert_work(integer) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_orgs_with_alert_work(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_orgs_with_alert_work(integer) TO warden_app;

-- The organizations in which a user is locked right now.
CREATE FUNCTION warden_user_locks(p_user_id uuid)
RETURNS TABLE (org_id uuid, locked_until timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT l.org_id, l.locked_until FROM public.member_locks l
  WHERE l.user_id = p_user_id AND l.locked_until > now();
END $$;
ALTER FUNCTION warden_user_locks(uuid) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_user_locks(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_user_locks(uuid) TO warden_app;

-- Key restrictions set by alert responses, read by the verifier beside the
-- key lookup (a separate function, so the lookup's shape stays as it is).
CREATE FUNCTION warden_api_key_restrictions(p_id uuid)
RETURNS TABLE (suspended_at timestamptz, throttle_per_minute integer, creator_locked boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT k.suspended_at,
         CASE WHEN k.throttled_until > now() THEN k.throttle_per_minute END,
         EXISTS (SELECT 1 FROM public.member_locks l
                 WHERE l.org_id = k.org_id AND l.user_id = k.created_by_user_id AND l.locked_until > now())
  FROM public.api_keys k WHERE k.id = p_id;
END $$;
ALTER FUNCTION warden_api_key_restrictions(uuid) OWNER TO warden_lookup;
REVOKE ALL ON FUNCTION warden_api_key_restrictions(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION warden_api_key_restrictions(uuid) TO warden_app;

-- migrate:down
DROP FUNCTION IF EXISTS warden_api_key_restrictions(uuid);
DROP FUNCTION IF EXISTS warden_user_locks(uuid);
DROP FUNCTION IF EXISTS warden_orgs_with_alert_work(integer);
REVOKE SELECT (org_id, id, created_by_user_id, suspended_at, throttle_per_minute, throttled_until) ON api_keys FROM warden_lookup;
ALTER TABLE api_keys DROP COLUMN IF EXISTS suspended_at, DROP COLUMN IF EXISTS suspend_reason,
  DROP COLUMN IF EXISTS throttle_per_minute, DROP COLUMN IF EXISTS throttled_until;
DROP TABLE IF EXISTS member_locks;
DROP TABLE IF EXISTS api_key_addresses;
DROP TABLE IF EXISTS notifications;
DROP TABLE IF EXISTS alert_deliveries;
DROP TABLE IF EXISTS alert_channels;
DROP TABLE IF EXISTS alert_silences;
DROP TABLE IF EXISTS alert_firings;
DROP TABLE IF EXISTS alert_groups;
DROP TABLE IF EXISTS alert_cursors;
DROP TABLE IF EXISTS alert_rule_versions;
DROP TABLE IF EXISTS alert_rules;
DROP FUNCTION IF EXISTS alert_rule_versions_refuse_change();
