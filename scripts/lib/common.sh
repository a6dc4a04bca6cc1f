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
  fi
  # The Prisma client (git-ignored) follows the schema: regenerate it when schema.prisma
  # changed since it was generated (a pull with a migration), not only when it is missing.
  local schema_stamp=lib/db/generated/.schema-hash schema_want
  schema_want="$(sha256sum prisma/schema.prisma | cut -d' ' -f1)"
  if [[ ! -f "$schema_stamp" || "$(cat "$schema_stamp")" != "$schema_want" ]]; then
    node scripts/prisma-generate.mjs
    echo "$schema_want" > "$schema_stamp"
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

# Go's own golang.org/x/mod/sumdb/note and sumdb/tlog from Debian's packages,
# for the interoperability test of the signed-note checkpoints
# (test/integration/c2sp-interop.test.ts builds test/interop/c2sp-check.go in
# GOPATH mode, offline). Installs them with apt-get when missing.
ensure_go_reference() {
  if command -v go >/dev/null && [[ -f /usr/share/gocode/src/golang.org/x/mod/sumdb/note/note.go ]]; then
    echo "go: $(go version) with golang.org/x/mod/sumdb from /usr/share/gocode"
    return
  fi
  local sudo=""
  [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
  echo "Installing Debian's golang-go and golang-golang-x-mod-dev (apt-get)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq golang-go golang-golang-x-mod-dev >/dev/null
}
