-- migrate:up

-- Defaults for every session of warden_app in this database, so a frozen or
-- partitioned process cannot hold locks for hours and no statement hangs:
-- the app's pools send the same settings at login (lib/db/session-limits.ts,
-- sized in docs/RELIABILITY.md); these cover any other connection as the app
-- role. Per database, so other databases on the cluster are untouched.
-- Setting another role's defaults needs superuser or CREATEROLE; a migrator
-- without either keeps going (the pools' own settings still apply) and says so.
DO $$
BEGIN
  EXECUTE format('ALTER ROLE warden_app IN DATABASE %I SET lock_timeout = %L', current_database(), '2s');
  EXECUTE format('ALTER ROLE warden_app IN DATABASE %I SET statement_timeout = %L', current_database(), '15s');
  EXECUTE format('ALTER ROLE warden_app IN DATABASE %I SET idle_in_transaction_session_timeout = %L',
                 current_database(), '10s');
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'warden_app role defaults not set (the migrator lacks CREATEROLE); the app pools set them at login';
END $$;

-- migrate:down

DO $$
BEGIN
  EXECUTE format('ALTER ROLE warden_app IN DATABASE %I RESET lock_timeout', current_database());
  EXECUTE format('ALTER ROLE warden_app IN DATABASE %I RESET statement_timeout', current_database());
  EXECUTE format('ALTER ROLE warden_app IN DATABASE %I RESET idle_in_transaction_session_timeout', current_database());
EXCEPTION WHEN insufficient_privilege THEN
  NULL;
END $$;
