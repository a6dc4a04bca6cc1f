-- migrate:up

-- Background jobs that run once per tick across every app instance (lib/jobs).
-- A tick is the wall-clock interval [tick·every, (tick+1)·every) on the
-- database's clock; the primary key (job, tick) is what lets exactly one
-- instance run it. lease_until is renewed while the run lasts: a job never
-- overlaps itself across instances, and a run whose instance died frees the
-- job when its lease lapses. No tenant data: sweeps work inside each
-- organization's own tenant transaction.
CREATE TABLE job_runs (
  job text NOT NULL CHECK (job ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  tick bigint NOT NULL,
  instance text NOT NULL CHECK (length(instance) <= 200),
  started_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz NOT NULL,
  finished_at timestamptz,
  ok boolean,
  error text CHECK (length(error) <= 1000),
  PRIMARY KEY (job, tick)
);

CREATE INDEX job_runs_unfinished ON job_runs (job) WHERE finished_at IS NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON job_runs TO warden_app;

-- migrate:down
DROP TABLE IF EXISTS job_runs;
