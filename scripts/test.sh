#!/usr/bin/env bash
# Runs every test: lint, typecheck, unit + integration tests against a fresh
# PostgreSQL test database, then Playwright end-to-end tests against a
# production build in Debian's Chromium (installed if missing).
#
#   DATABASE_URL (owner/migrator; default local PostgreSQL). The test databases
#   warden_test and warden_e2e are dropped and recreated on every run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh

export NEXT_TELEMETRY_DISABLED=1
export CI="${CI:-1}"
started=$(date +%s)

step "Installing dependencies"
ensure_node_modules

step "Lint"
npx --no-install eslint --max-warnings=0 .

step "Typecheck"
npx --no-install tsc --noEmit

step "Unit and integration tests (PostgreSQL: warden_test)"
npx --no-install vitest run

step "End-to-end tests (production build, Chromium, PostgreSQL: warden_e2e)"
ensure_chromium
E2E_PORT="${E2E_PORT:-3100}"
export E2E_PORT
# A throwaway password for the seeded demo users of the e2e database only.
WARDEN_DEMO_PASSWORD="e2e-$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)"
export WARDEN_DEMO_PASSWORD
npx --no-install tsx scripts/setup.ts --database warden_e2e --recreate --seed --runtime-env .warden/e2e.env --port "$E2E_PORT"
load_env_file .warden/e2e.env
npx --no-install next build
npx --no-install playwright test

step "All tests passed in $(( $(date +%s) - started ))s"
