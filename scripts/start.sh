#!/usr/bin/env bash
# Starts Warden with demo data: install, database + roles, migrations, seed,
# production build, serve. Safe to run again: it reuses the generated secrets
# (.warden/local.env) and re-seeds idempotently.
#
#   PORT (default 3000), DATABASE_URL (owner/migrator; default: the local
#   PostgreSQL, or the embedded one when none answers — see scripts/with-db.ts),
#   WARDEN_EMBEDDED_DB (1: always the embedded PostgreSQL, 0: never),
#   WARDEN_EMBEDDED_PORT, WARDEN_DEMO_PASSWORD (default: generated once and printed)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh

export PORT="${PORT:-3000}"
export NEXT_TELEMETRY_DISABLED=1

if [[ -z "${WARDEN_DB_READY:-}" ]]; then
  step "Installing dependencies"
  ensure_node_modules
  step "Finding the database"
  # Runs the rest of this script with DATABASE_URL set; an embedded PostgreSQL
  # it starts is stopped after the server (SIGINT/SIGTERM are passed on).
  exec node --import tsx scripts/with-db.ts -- bash "$0" "$@"
fi

step "Preparing the database"
npx --no-install tsx scripts/setup.ts --seed --runtime-env .warden/runtime.env --port "$PORT"
load_env_file .warden/runtime.env
DEMO_PASSWORD="${WARDEN_DEMO_PASSWORD:-$(grep '^WARDEN_DEMO_PASSWORD=' .warden/local.env | cut -d= -f2-)}"

step "Building"
npx --no-install next build

cat <<BANNER

  Warden is starting on ${NEXTAUTH_URL}
  Database: ${WARDEN_DB_LABEL}

  Demo sign-ins (password: ${DEMO_PASSWORD})
    admin@acme.test      admin     (organization acme)
    approver@acme.test   approver  (organization acme)
    auditor@acme.test    auditor   (organization acme)
    viewer@acme.test     viewer    (organization acme)
    admin@globex.test    admin     (organization globex)

BANNER
export NODE_ENV=production
exec node server.mjs
