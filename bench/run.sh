#!/usr/bin/env bash
# Benchmarks against a dedicated database and the production build.
#   npm run bench            all benchmarks
#   npm run bench -- keys    one of them (file name in bench/ without .ts)
# Settings: BENCH_DATABASE (default warden_bench; recreated), BENCH_PORT (3300),
# BENCH_SKIP_BUILD=1, BENCH_AUDIT_SIZES (default 100000; e.g. 100000,1000000).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh
export NEXT_TELEMETRY_DISABLED=1

if [[ -z "${WARDEN_DB_READY:-}" ]]; then
  ensure_node_modules
  # The same database choice as npm start/test (an embedded PostgreSQL when none answers).
  exec node --import tsx scripts/with-db.ts -- bash "$0" "$@"
fi
BENCH_DATABASE="${BENCH_DATABASE:-warden_bench}"
# The database is dropped and recreated: refuse a name that does not say it is for benchmarks.
[[ "$BENCH_DATABASE" == *bench* ]] || { echo "BENCH_DATABASE must contain 'bench' (it is dropped and recreated)" >&2; exit 2; }
export BENCH_DATABASE BENCH_PORT="${BENCH_PORT:-3300}"
npx --no-install tsx scripts/setup.ts --database "$BENCH_DATABASE" --recreate --runtime-env ".warden/$BENCH_DATABASE.env" --port "$BENCH_PORT" >/dev/null
load_env_file ".warden/$BENCH_DATABASE.env"
export LOG_LEVEL=silent
# Benchmarks measure cost, not the default per-organization throttle.
export RATE_LIMIT_ORG_PER_MINUTE=10000000
if [[ "${BENCH_SKIP_BUILD:-0}" != "1" ]]; then
  step "Building"
  npx --no-install next build >/dev/null
fi

benches=("$@")
[[ ${#benches[@]} -eq 0 ]] && benches=(keys actions audit alerts)
for b in "${benches[@]}"; do
  step "bench: $b"
  npx --no-install tsx "bench/$b.ts"
done
