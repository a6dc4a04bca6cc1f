-- migrate:up
-- Each checkpoint also as a C2SP signed note (c2sp.org/signed-note,
-- c2sp.org/tlog-checkpoint), signed by every key valid at its time. Null for
-- checkpoints made before notes existed (GET /api/v1/audit/checkpoint signs
-- one for them on read). The v1 JSON signature in `signed` stays: proof packs
-- and verifiers of version 1 keep working.
ALTER TABLE audit_checkpoints ADD COLUMN note text
  CHECK (note IS NULL OR (octet_length(note) BETWEEN 1 AND 16384 AND note LIKE '%' || chr(10)));

-- migrate:down
ALTER TABLE audit_checkpoints DROP COLUMN IF EXISTS note;
