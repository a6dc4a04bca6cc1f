#!/usr/bin/env bash
# Runs every test: lint, typecheck, unit + integration tests against a fresh
# PostgreSQL test database, then Playwright end-to-end tests against a
# production build in Debian's Chromium (installed if missing).
#
#   DATABASE_URL (owner/migrator; default: the local PostgreSQL, or the embedded
#   one when none answers — see scripts/with-db.ts). The test databases
#   (WARDEN_TEST_DATABASE, default warden_test; E2E_DATABASE, default warden_e2e)
#   are dropped and recreated on every run. E2E_PORT (default 3100).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh

export NEXT_TELEMETRY_DISABLED=1
export CI="${CI:-1}"

if [[ -z "${WARDEN_DB_READY:-}" ]]; then
  export WARDEN_TEST_STARTED="$(date +%s)"
  step "Installing dependencies"
  ensure_node_modules
  step "Finding the database"
  exec node --import tsx scripts/with-db.ts -- bash "$0" "$@"
fi
started="${WARDEN_TEST_STARTED:-$(date +%s)}"

step "Lint and formatting"
npx --no-install eslint --max-warnings=0 .
npx --no-install prettier --check . --log-level warn

step "Typecheck"
npx --no-install tsc --noEmit

step "Go's sumdb/note and sumdb/tlog (the reference the interoperability test checks against)"
ensure_go_reference

step "Unit and integration tests (${WARDEN_DB_LABEL}: ${WARDEN_TEST_DATABASE:-warden_test})"
npx --no-install vitest run

if [[ "${WARDEN_DB_EMBEDDED:-0}" != "1" ]]; then
  # The suite above ran on a PostgreSQL server; prove the wall on the embedded
  # PostgreSQL 18 too (a throwaway cluster: same migrations, roles, RLS, lookups).
  step "Catalog and tenancy tests on the embedded PostgreSQL"
  embedded_started=$(date +%s)
  node --import tsx scripts/with-db.ts --embedded --ephemeral -- \
    npx --no-install vitest run --project db test/integration/catalog.test.ts test/integration/tenancy.test.ts \
    test/integration/schema-agreement.test.ts
  echo "embedded PostgreSQL step: $(( $(date +%s) - embedded_started ))s"
fi

step "End-to-end tests (production build, Chromium, ${WARDEN_DB_LABEL}: ${E2E_DATABASE:-warden_e2e})"
ensure_chromium
E2E_PORT="${E2E_PORT:-3100}"
E2E_DATABASE="${E2E_DATABASE:-warden_e2e}"
export E2E_PORT E2E_ENV_FILE=".warden/${E2E_DATABASE}.env"
# A throwaway password for the seeded demo users of the e2e database only.
WARDEN_DEMO_PASSWORD="e2e-$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)"
export WARDEN_DEMO_PASSWORD
npx --no-install tsx scripts/setup.ts --database "$E2E_DATABASE" --recreate --seed --runtime-env "$E2E_ENV_FILE" --port "$E2E_PORT"
load_env_file "$E2E_ENV_FILE"
npx --no-install next build
npx --no-install playwright test

step "Three app instances on one database (the production build)"
WARDEN_CLUSTER_TEST=1 npx --no-install vitest run --project cluster

step "All tests passed in $(( $(date +%s) - started ))s"
