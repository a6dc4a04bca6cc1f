import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as health } from "@/app/api/health/route";
import { POST as submit } from "@/app/api/v1/actions/route";
import { POST as create } from "@/app/api/v1/policies/route";
import { POST as simulate } from "@/app/api/v1/policies/simulate/route";
import { closeDb } from "@/lib/db/client";
import { policyInputSchema } from "@/lib/policy";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { createAgentWithKey, type TestAgent } from "../helpers/firewall";
import { call, sessionCookie } from "../helpers/http";
import { bearer } from "../helpers/keys";

/** The attack: a nested comprehension over a list in the action's params. */
const NESTED = "params.l.all(a, params.l.all(b, b == 0))";
const zeros = (n: number) => Array.from({ length: n }, () => 0);

let t: TestOrg;
let viewer: string;
let admin: string;
let agent: TestAgent;

/**
 * A version stored before cost ceilings existed: written by the owner, as a
 * migration from an older release would have left it. Saving it today is 422.
 */
async function activateLegacyPolicy(org: TestOrg, rules: unknown[]): Promise<void> {
  const parsed = policyInputSchema.parse({ rules }).rules;
  const db = owner();
  await db.query("UPDATE policy_versions SET is_active = false WHERE org_id = $1 AND is_active", [org.org.id]);
  await db.query(
    `INSERT INTO policy_versions (org_id, version, rules, status, is_active, published_at)
     SELECT $1, coalesce(max(version), 0) + 1, $2::jsonb, 'published', true, now() FROM policy_versions WHERE org_id = $1`,
    [org.org.id, JSON.stringify(parsed)],
  );
}

beforeAll(async () => {
  t = await createTestOrg("cost");
  viewer = (await sessionCookie(t.users.viewer.id)).cookie;
  admin = (await sessionCookie(t.users.admin.id)).cookie;
  agent = await createAgentWithKey(t, { tools: { allowed: ["files"] } });
  await activateLegacyPolicy(t, [
    { name: "nested", condition: NESTED, effect: "allow" },
    { name: "rest", condition: "true", effect: "allow" },
  ]);
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

describe("save-time ceilings", () => {
  it("422 on save names the rule; nothing is stored", async () => {
    const res = await call(create, {
      method: "POST",
      cookie: admin,
      org: t.org.slug,
      body: { rules: [{ name: "nested", condition: NESTED, effect: "allow" }] },
    });
    expect(res.status).toBe(422);
    expect(res.json.errors).toEqual([
      { path: "rules.0.condition", message: expect.stringMatching(/the condition is too expensive/) },
    ]);
  });

  it("422 for a draft in the simulator, before anything runs", async () => {
    const res = await call(simulate, {
      method: "POST",
      cookie: viewer,
      org: t.org.slug,
      body: {
        rules: [{ name: "nested", condition: NESTED, effect: "allow" }],
        action: { tool: "files", operation: "read", params: { l: zeros(2000) } },
      },
    });
    expect(res.status).toBe(422);
  });
});

describe("the runtime budget on a stored policy", () => {
  it("the hot path denies the action with the reason and audits it", async () => {
    const res = await call(submit, {
      method: "POST",
      headers: bearer(agent.token),
      body: { tool: "files", operation: "read", params: { l: zeros(2000) } },
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      status: "denied",
      decision: "deny",
      risk_level: "high",
      rule: { name: "nested" },
    });
    expect(res.json.reason).toMatch(/Rule "nested" could not be evaluated.*cost budget of 100,000 units/);
    const events = await owner().query<{ data: { reason?: string } }>(
      "SELECT data FROM audit_events WHERE org_id = $1 AND action = 'action.decided' AND target_id = $2",
      [t.org.id, res.json.id],
    );
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0]!.data.reason).toMatch(/cost budget/);
  });

  it("the simulator answers with the same denial", async () => {
    const res = await call(simulate, {
      method: "POST",
      cookie: viewer,
      org: t.org.slug,
      body: { action: { tool: "files", operation: "read", params: { l: zeros(2000) } } },
    });
    expect(res.status).toBe(200);
    expect(res.json.decision).toMatchObject({ effect: "deny", rule: { name: "nested" } });
    expect(res.json.trace[0]).toMatchObject({ result: "error", error: expect.stringMatching(/cost budget/) });
  });

  it("while adversarial payloads run, /api/health keeps answering within 50 ms", async () => {
    // A turn's length is bounded by two clocks, each an upper bound of the main thread's own
    // work: the process's CPU time (which also counts GC and libuv threads running beside it)
    // and wall time (which also counts waiting for a core on a shared machine). The smaller of
    // the two is still an upper bound of the main thread's work in that turn.
    const cpuMs = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const turns: number[] = [];
    let last = { cpu: cpuMs(), wall: performance.now() };
    const ticker = setInterval(() => {
      const now = { cpu: cpuMs(), wall: performance.now() };
      turns.push(Math.min(now.cpu - last.cpu, now.wall - last.wall));
      last = now;
    }, 2);
    const body = { tool: "files", operation: "read", params: { l: zeros(4000) } };
    expect((await health()).status).toBe(200);
    let stop = false;
    let attacks = 0;
    // Four attackers back to back: two agents on the hot path, two viewers in the simulator.
    const attacker = async (kind: "submit" | "simulate") => {
      while (!stop) {
        const res =
          kind === "submit"
            ? await call(submit, { method: "POST", headers: bearer(agent.token), body })
            : await call(simulate, { method: "POST", cookie: viewer, org: t.org.slug, body: { action: body } });
        expect(res.status).toBe(kind === "submit" ? 201 : 200);
        expect(JSON.stringify(res.json)).toMatch(/cost budget/);
        attacks++;
      }
    };
    const running = [attacker("submit"), attacker("submit"), attacker("simulate"), attacker("simulate")];
    const probes: number[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const started = { cpu: cpuMs(), wall: performance.now() };
        const res = await health();
        probes.push(Math.min(cpuMs() - started.cpu, performance.now() - started.wall));
        expect(res.status).toBe(200);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      stop = true;
      await Promise.all(running);
      clearInterval(ticker);
    }
    expect(attacks).toBeGreaterThan(8);
    // No one is blocked: 99 % of the event loop's turns stay under 50 ms on the main thread, and
    // none reaches 150 ms (one unbudgeted evaluation of these payloads takes ~14 s). A turn runs
    // every callback that is ready, so on a loaded machine the four attackers' requests can land
    // in one turn together; that is why the bound is on the 99th percentile. Probes (timed by the
    // same two clocks) also count the attackers' turns that ran while /api/health waited for the
    // pooled connection it shares with them: 9 of 10 must stay under 50 ms, none over 150 ms.
    const byLength = [...turns].sort((a, b) => a - b);
    expect(byLength.length).toBeGreaterThan(50);
    expect(byLength[Math.floor(byLength.length * 0.99) - 1]).toBeLessThan(50);
    expect(byLength[byLength.length - 1]).toBeLessThan(150);
    const sorted = [...probes].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length * 0.9) - 1]).toBeLessThan(50);
    expect(sorted[sorted.length - 1]).toBeLessThan(150);
  }, 60_000);
});
