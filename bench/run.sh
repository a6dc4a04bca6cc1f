#!/usr/bin/env bash
# Benchmarks against a dedicated database (warden_bench) and the production build.
#   npm run bench            all benchmarks
#   npm run bench -- keys    one of them (file name in bench/ without .ts)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh
export NEXT_TELEMETRY_DISABLED=1

ensure_node_modules
npx --no-install tsx scripts/setup.ts --database warden_bench --recreate --runtime-env .warden/bench.env --port 3300 >/dev/null
load_env_file .warden/bench.env
export LOG_LEVEL=silent
# Benchmarks measure cost, not the default per-organization throttle.
export RATE_LIMIT_ORG_PER_MINUTE=10000000
if [[ "${BENCH_SKIP_BUILD:-0}" != "1" ]]; then
  step "Building"
  npx --no-install next build >/dev/null
fi

benches=("$@")
[[ ${#benches[@]} -eq 0 ]] && benches=(keys actions)
for b in "${benches[@]}"; do
  step "bench: $b"
  npx --no-install tsx "bench/$b.ts"
done
