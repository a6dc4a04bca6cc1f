-- migrate:up

-- The id of the HTTP request that wrote an event (the request_id of its
-- problem+json and X-Request-Id, and of its log lines), so an error, a log
-- line and an audit event can be joined. Outside the hashed content on
-- purpose: it correlates, it is not evidence, and older events and every
-- verifier (proof packs, exports, the C2SP interop) keep their bytes. The
-- append-only trigger keeps it as immutable as the rest of the row. NULL for
-- events no request wrote (background jobs, scripts).
ALTER TABLE audit_events
  ADD COLUMN request_id text CHECK (request_id ~ '^[0-9A-Za-z:._-]{1,100}$');
CREATE INDEX audit_events_org_id_request_id_idx ON audit_events (org_id, request_id) WHERE request_id IS NOT NULL;

-- migrate:down

DROP INDEX audit_events_org_id_request_id_idx;
ALTER TABLE audit_events DROP COLUMN request_id;
