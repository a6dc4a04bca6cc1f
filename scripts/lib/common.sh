# Shared helpers for scripts/start.sh and scripts/test.sh.

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# npm ci when node_modules is missing or older than the lockfile.
ensure_node_modules() {
  local stamp=node_modules/.warden-lock-hash
  local want
  want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    npm ci --no-audit --no-fund
    echo "$want" > "$stamp"
  else
    echo "node_modules is up to date"
    [[ -d lib/db/generated ]] || node scripts/prisma-generate.mjs
  fi
}

# Exports KEY=VALUE lines of a file into the environment.
load_env_file() {
  local line
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[A-Z0-9_]+= ]] || continue
    export "${line?}"
  done < "$1"
}

# Debian's Chromium for Playwright (Playwright's own browser download does not
# work offline). Installs it with apt-get when missing.
ensure_chromium() {
  if [[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]]; then
    echo "chromium: $("${CHROMIUM_PATH:-/usr/bin/chromium}" --version 2>/dev/null | head -1)"
    return
  fi
  local sudo=""
  [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
  echo "Installing Debian's chromium (apt-get)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}
