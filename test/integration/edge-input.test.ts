import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as submit } from "@/app/api/v1/actions/route";
import { GET as listAgents, POST as createAgent } from "@/app/api/v1/agents/route";
import { GET as auditEvents } from "@/app/api/v1/audit/events/route";
import { POST as addMember } from "@/app/api/v1/members/route";
import { POST as createPolicy } from "@/app/api/v1/policies/route";
import { POST as simulate } from "@/app/api/v1/policies/simulate/route";
import { closeDb } from "@/lib/db/client";
import { closeOwner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { createAgentWithKey, type TestAgent } from "../helpers/firewall";
import { call, sessionCookie } from "../helpers/http";
import { bearer } from "../helpers/keys";

let t: TestOrg;
let admin: string;
let agent: TestAgent;

beforeAll(async () => {
  t = await createTestOrg("edge");
  admin = (await sessionCookie(t.users.admin.id)).cookie;
  agent = await createAgentWithKey(t, { tools: { allowed: ["files"] } });
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const NUL = "a\u0000b";
const LONE = "x\uD800y";

describe("strings PostgreSQL cannot store are refused at the edge with 422", () => {
  it.each([
    ["a NUL in a value", { slug: "edge-a", name: NUL, environment: "development" }, "name"],
    ["a lone surrogate in a value", { slug: "edge-b", name: LONE, environment: "development" }, "name"],
    ["a lone low surrogate", { slug: "edge-c", name: "\uDC00", environment: "development" }, "name"],
  ])("%s", async (_, body, path) => {
    const res = await call(createAgent, { method: "POST", cookie: admin, org: t.org.slug, body });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.json.errors).toEqual([{ path, message: expect.stringMatching(/NUL character or an unpaired/) }]);
    expect(res.json.request_id).toEqual(expect.any(String));
  });

  it("in a nested key of an action's params (agent hot path)", async () => {
    const res = await call(submit, {
      method: "POST",
      headers: bearer(agent.token),
      body: { tool: "files", operation: "read", params: { deep: { [`k${NUL}`]: 1 } } },
    });
    expect(res.status).toBe(422);
    expect(res.json.errors[0].path).toBe("params.deep");
  });

  it("in a query string", async () => {
    const res = await call(auditEvents, {
      cookie: admin,
      org: t.org.slug,
      path: `/api/v1/audit/events?actor_id=${encodeURIComponent(NUL)}`,
    });
    expect(res.status).toBe(422);
    const list = await call(listAgents, { cookie: admin, org: t.org.slug, path: "/api/v1/agents?x=%00" });
    expect(list.status).toBe(422);
  });

  it("a well-formed pair (an emoji) and other control characters pass", async () => {
    const res = await call(createAgent, {
      method: "POST",
      cookie: admin,
      org: t.org.slug,
      body: { slug: "edge-ok", name: "Bot 🤖\u0001", environment: "development" },
    });
    expect(res.status).toBeLessThan(500);
    expect(res.status).not.toBe(422);
  });
});

describe("fuzzing JSON bodies never yields a 500", () => {
  // Strings from the whole UTF-16 range (NUL and lone surrogates included), in any JSON shape.
  const anyString = fc.string({ unit: "binary", maxLength: 20 });
  const anyJson = fc
    .jsonValue({ maxDepth: 3 })
    .chain((v) =>
      fc.oneof(fc.constant(v), fc.dictionary(anyString, fc.oneof(anyString, fc.constant(v)), { maxKeys: 4 })),
    );
  const routes = [
    ["POST /api/v1/agents", createAgent],
    ["POST /api/v1/members", addMember],
    ["POST /api/v1/policies", createPolicy],
    ["POST /api/v1/policies/simulate", simulate],
  ] as const;

  it.each(routes)(
    "%s",
    async (_, handler) => {
      await fc.assert(
        fc.asyncProperty(anyJson, async (body) => {
          const res = await call(handler, { method: "POST", cookie: admin, org: t.org.slug, body });
          expect(res.status).toBeLessThan(500);
        }),
        { numRuns: 40 },
      );
    },
    60_000,
  );

  it("POST /api/v1/actions (API key)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ tool: anyString, operation: anyString, params: fc.dictionary(anyString, anyString) }),
        async (body) => {
          const res = await call(submit, { method: "POST", headers: bearer(agent.token), body });
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);
});
