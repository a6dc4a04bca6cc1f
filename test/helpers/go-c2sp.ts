import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * test/interop/c2sp-check.go, built against Debian's golang-golang-x-mod-dev
 * (Go's own sumdb/note and sumdb/tlog) in GOPATH mode: no network, no module
 * download. `npm test` installs golang-go and golang-golang-x-mod-dev when
 * missing (scripts/lib/common.sh ensure_go_reference), as it does Chromium.
 */
const GOPATH = "/usr/share/gocode";
const SOURCE = join(import.meta.dirname, "..", "interop", "c2sp-check.go");

export function buildGoChecker(): string {
  const dir = join(tmpdir(), `warden-c2sp-go-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, "c2sp-check");
  if (!existsSync(join(GOPATH, "src/golang.org/x/mod/sumdb/note/note.go"))) {
    throw new Error(
      "Go's sumdb/note is not installed: apt-get install golang-go golang-golang-x-mod-dev (npm test does it)",
    );
  }
  execFileSync("go", ["build", "-o", bin, SOURCE], {
    env: {
      ...process.env,
      GO111MODULE: "off",
      GOPATH,
      GOFLAGS: "",
      GOPROXY: "off",
      GOCACHE: join(dir, "cache"),
      CGO_ENABLED: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 180_000,
  });
  return bin;
}

export type GoResult = { ok: boolean; stdout: string; stderr: string };

export function runGoChecker(bin: string, args: string[], stdin?: string): GoResult {
  const r = spawnSync(bin, args, { input: stdin ?? "", encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`c2sp-check ${args[0]}: exit ${r.status}: ${r.stderr}`);
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}
