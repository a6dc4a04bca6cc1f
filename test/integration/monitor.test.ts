import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as NOTE } from "@/app/api/v1/audit/checkpoint/route";
import { POST as CREATE } from "@/app/api/v1/audit/checkpoints/route";
import { GET as CONSISTENCY } from "@/app/api/v1/audit/consistency/route";
import { GET as KEYS } from "@/app/api/v1/audit/verifier-keys/route";
import { insertCheckpoint } from "@/lib/audit/create-checkpoint";
import { closeDb } from "@/lib/db/client";
import { withTenant } from "@/lib/db/tenant";
import type { RouteHandler } from "@/lib/http/route";
import { seedEvents, tamper } from "../helpers/audit";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { BASE, call, sessionCookie } from "../helpers/http";
import { createKey } from "../helpers/keys";

/*
 * `npm run monitor` (scripts/monitor.mjs) as a separate process against the
 * real route handlers behind a real HTTP server, on the real database: it
 * pins the first checkpoint, accepts growth it can prove, and exits 1 on a
 * rewritten, forked or rolled-back log, whatever the server signs.
 */

const routes: Record<string, RouteHandler> = {
  "/api/v1/audit/checkpoint": NOTE,
  "/api/v1/audit/consistency": CONSISTENCY,
  "/api/v1/audit/verifier-keys": KEYS,
};
let server: Server;
let baseUrl: string;
const dir = mkdtempSync(join(tmpdir(), "warden-monitor-"));

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", BASE);
    const handler = routes[url.pathname];
    if (!handler || req.method !== "GET") {
      res.writeHead(404).end();
      return;
    }
    const headers = new Headers({ host: "localhost:3999", "x-warden-client-ip": "127.0.0.1" });
    for (const name of ["authorization", "x-warden-org", "accept"]) {
      const v = req.headers[name];
      if (typeof v === "string") headers.set(name, v);
    }
    void handler(new Request(`${BASE}${url.pathname}${url.search}`, { headers }), {
      params: Promise.resolve({}),
    }).then(async (r) => {
      res.writeHead(r.status, Object.fromEntries(r.headers));
      res.end(Buffer.from(await r.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
  await closeOwner();
  await closeDb();
});

type Run = { code: number; stdout: string; stderr: string };

function monitor(args: string[], apiKey?: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(import.meta.dirname, "../../scripts/monitor.mjs"), ...args],
      {
        env: { PATH: process.env.PATH ?? "", NODE_ENV: "test", ...(apiKey ? { WARDEN_API_KEY: apiKey } : {}) },
        timeout: 60_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

async function setUp(label: string, events: number) {
  const t = await createTestOrg(label);
  await seedEvents(t.org.id, events);
  const auditor = (await sessionCookie(t.users.auditor.id)).cookie;
  const key = await createKey(t, { scopes: ["audit:read"] });
  const state = join(dir, `${label}.json`);
  const checkpoint = async () => {
    const res = await call(CREATE, { method: "POST", cookie: auditor, org: t.org.slug });
    expect(res.status).toBe(201);
    return res.json as { tree_size: number; root_hash: string };
  };
  const run = (extra: string[] = []) => monitor([baseUrl, t.org.slug, "--state", state, ...extra], key.token);
  return { t, key, state, checkpoint, run };
}

/** A rewritten history: one past event's hash replaced, as an attacker with the database would. */
async function rewrite(t: TestOrg, seq: number) {
  const forged = createHash("sha256").update(`forged ${seq}`).digest("hex");
  await tamper(`UPDATE audit_events SET hash = $2 WHERE org_id = $1 AND seq = $3`, [t.org.id, forged, seq]);
}

describe("npm run monitor", () => {
  it("pins the first checkpoint, says when nothing changed, and accepts growth it can prove", async () => {
    const m = await setUp("mon-grow", 10);
    const first = await m.checkpoint();
    const pinned = await m.run();
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(pinned.stdout).toContain(
      `OK: first checkpoint of localhost:3999/audit/${m.t.org.id} pinned: ${first.tree_size} events`,
    );
    expect(pinned.stderr).toContain("pinned the server's verifier keys on first use");
    const state = JSON.parse(readFileSync(m.state, "utf8"));
    expect(state).toMatchObject({ tree_size: first.tree_size, root_hash: first.root_hash, org: m.t.org.slug });

    const again = await m.run();
    expect(again).toMatchObject({ code: 0 });
    expect(again.stdout).toContain("no new checkpoint");

    await seedEvents(m.t.org.id, 7);
    const second = await m.checkpoint();
    const grown = await m.run(["--json"]);
    expect(grown.code, grown.stdout).toBe(0);
    expect(JSON.parse(grown.stdout)).toMatchObject({
      ok: true,
      status: "consistent",
      from: { tree_size: first.tree_size, root_hash: first.root_hash },
      tree_size: second.tree_size,
      root_hash: second.root_hash,
    });
  });

  it("exits 1 on a rewritten history, even though the server signs the new checkpoint, and keeps the last good state", async () => {
    const m = await setUp("mon-rewrite", 12);
    const first = await m.checkpoint();
    expect((await m.run()).code).toBe(0);
    await rewrite(m.t, 5);
    await seedEvents(m.t.org.id, 3);
    await m.checkpoint();
    const r = await m.run();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("INCONSISTENT: the log was rewritten or forked");
    expect(JSON.parse(readFileSync(m.state, "utf8"))).toMatchObject({
      tree_size: first.tree_size,
      root_hash: first.root_hash,
    });
    // Still inconsistent on the next round: the monitor does not forget.
    expect((await m.run()).code).toBe(1);
  });

  it("exits 1 on a fork: another root for a size it has seen", async () => {
    const m = await setUp("mon-fork", 9);
    const first = await m.checkpoint();
    expect((await m.run()).code).toBe(0);
    await rewrite(m.t, 2);
    await owner().query(`DELETE FROM audit_checkpoints WHERE org_id = $1`, [m.t.org.id]);
    // The server signs the rewritten log at the size the monitor saw (as the scheduler would).
    const forked = await withTenant({ orgId: m.t.org.id }, (tx) =>
      insertCheckpoint(tx, m.t.org.id, first.tree_size, "scheduled"),
    );
    expect(forked.tree_size).toBe(first.tree_size);
    expect(forked.root_hash).not.toBe(first.root_hash);
    const r = await m.run();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`fork: two checkpoints of ${first.tree_size} events with different roots`);
  });

  it("exits 1 on a rollback: the newest checkpoint is older than one it saw", async () => {
    const m = await setUp("mon-rollback", 8);
    const first = await m.checkpoint();
    await seedEvents(m.t.org.id, 4);
    const later = await m.checkpoint();
    expect((await m.run()).code).toBe(0);
    await owner().query(`DELETE FROM audit_checkpoints WHERE org_id = $1 AND tree_size = $2`, [
      m.t.org.id,
      later.tree_size,
    ]);
    const r = await m.run();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `rollback: the newest checkpoint has ${first.tree_size} events, but a checkpoint of ${later.tree_size} events was seen`,
    );
  });

  it("exits 1 when the note is not signed by a pinned key (another organization's key)", async () => {
    const m = await setUp("mon-key", 5);
    const other = await setUp("mon-key-other", 5);
    await m.checkpoint();
    const theirs = await call(KEYS, {
      cookie: (await sessionCookie(other.t.users.auditor.id)).cookie,
      org: other.t.org.slug,
      path: "/api/v1/audit/verifier-keys",
    });
    const r = await m.run(["--key", theirs.json.keys[0].verifier_key]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no known key signed the note");
  });

  it("exits 3 when it cannot check (no credentials, unreachable server) and 2 on bad usage", async () => {
    const m = await setUp("mon-errors", 3);
    await m.checkpoint();
    const noKey = await monitor([baseUrl, m.t.org.slug, "--state", join(dir, "nokey.json")]);
    expect(noKey.code).toBe(3);
    expect(noKey.stderr).toContain("HTTP 401");
    const down = await monitor(["http://127.0.0.1:9", m.t.org.slug, "--state", join(dir, "down.json")], m.key.token);
    expect(down.code).toBe(3);
    expect((await monitor([])).code).toBe(2);
    expect((await monitor(["not a url", "acme"])).code).toBe(2);
    expect((await monitor([baseUrl, "acme", "--key", "garbage"])).code).toBe(2);
  });
});
