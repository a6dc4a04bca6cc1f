import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as listAgents, POST as createAgent } from "@/app/api/v1/agents/route";
import { GET as DETAIL } from "@/app/api/v1/audit/events/[seq]/route";
import { GET as LIST } from "@/app/api/v1/audit/events/route";
import { appendAuditEvent } from "@/lib/audit/append-event";
import { closeDb } from "@/lib/db/client";
import { withTenant } from "@/lib/db/tenant";
import { captureLogs, currentRequestId, log, withRequestId } from "@/lib/log";
import { tenantOf } from "@/lib/rbac/context";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";
import { memberContext } from "../helpers/keys";

/**
 * Issue 10, A9: an audit event written while serving a request stores that
 * request's id, the one its response (X-Request-Id, problem+json request_id)
 * and its log lines carry. The id is beside the event, not in its hash.
 */
process.env.LOG_LEVEL = "info";
const lines: string[] = [];
const stopCapture = captureLogs((line) => lines.push(line));

let t: TestOrg;
let admin: string;

beforeAll(async () => {
  t = await createTestOrg("reqid");
  admin = (await sessionCookie(t.users.admin.id)).cookie;
});
afterAll(async () => {
  stopCapture();
  await closeOwner();
  await closeDb();
});

async function eventsOf(action: string) {
  return (
    await owner().query<{ seq: string; request_id: string | null }>(
      `SELECT seq, request_id FROM audit_events WHERE org_id = $1 AND action = $2 ORDER BY seq`,
      [t.org.id, action],
    )
  ).rows;
}

describe("audit events carry the request id", () => {
  it("an event written during a request stores the id its response carries, and the API and explorer show it", async () => {
    const res = await call(createAgent, {
      method: "POST",
      cookie: admin,
      org: t.org.slug,
      body: { slug: "rid-bot", name: "Rid", environment: "development" },
    });
    expect(res.status).toBe(201);
    const requestId = res.headers.get("x-request-id")!;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const [event] = await eventsOf("agent.created");
    expect(event!.request_id).toBe(requestId);

    const detail = await call(DETAIL, {
      cookie: admin,
      org: t.org.slug,
      params: { seq: event!.seq },
      path: `/api/v1/audit/events/${event!.seq}`,
    });
    expect(detail.status).toBe(200);
    expect(detail.json.request_id).toBe(requestId);
    // Not part of the hashed content: the canonical bytes do not name it.
    expect(detail.json.canonical).not.toContain(requestId);
    expect(detail.json.hash_matches).toBe(true);

    const filtered = await call(LIST, {
      cookie: admin,
      org: t.org.slug,
      path: `/api/v1/audit/events?request_id=${requestId}`,
    });
    expect(filtered.status).toBe(200);
    expect(filtered.json.events.map((e: { seq: number }) => String(e.seq))).toEqual([event!.seq]);
    expect(filtered.json.events[0].request_id).toBe(requestId);
  });

  it("two concurrent requests never swap ids", async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call(createAgent, {
          method: "POST",
          cookie: admin,
          org: t.org.slug,
          body: { slug: `rid-c${i}`, name: `C${i}`, environment: "development" },
        }),
      ),
    );
    const rows = (
      await owner().query<{ target_id: string; request_id: string }>(
        `SELECT target_id, request_id FROM audit_events WHERE org_id = $1 AND action = 'agent.created'`,
        [t.org.id],
      )
    ).rows;
    for (const [i, r] of results.entries()) {
      expect(r.status).toBe(201);
      const row = rows.find((x) => x.target_id === r.json.id);
      expect(row?.request_id, `agent ${i}`).toBe(r.headers.get("x-request-id"));
    }
    const listed = await call(listAgents, { cookie: admin, org: t.org.slug });
    expect(listed.status).toBe(200);
  });

  it("outside a request an event has none; an explicit id wins over the scope", async () => {
    const ctx = memberContext(t, "admin");
    expect(currentRequestId()).toBeNull();
    await withTenant(tenantOf(ctx), (tx) =>
      appendAuditEvent(tx, { orgId: t.org.id, actor: { type: "system", id: null }, action: "org.created" }),
    );
    await withRequestId("scope-id", () =>
      withTenant(tenantOf(ctx), (tx) =>
        appendAuditEvent(tx, {
          orgId: t.org.id,
          actor: { type: "system", id: null },
          action: "org.created",
          requestId: "explicit-id",
        }),
      ),
    );
    const rows = await eventsOf("org.created");
    expect(rows.slice(-2).map((r) => r.request_id)).toEqual([null, "explicit-id"]);
  });

  it("log lines written while serving a request carry its id; an explicit one wins", async () => {
    withRequestId("rid-log-1", () => log().warn("inside"));
    withRequestId("rid-log-2", () => log().warn({ requestId: "explicit" }, "explicit inside"));
    log().warn("outside");
    const parsed = lines.map((l) => JSON.parse(l) as { msg: string; requestId?: string });
    expect(parsed.find((l) => l.msg === "inside")?.requestId).toBe("rid-log-1");
    expect(parsed.find((l) => l.msg === "explicit inside")?.requestId).toBe("explicit");
    expect(parsed.find((l) => l.msg === "outside")?.requestId).toBeUndefined();
  });

  it("the explorer refuses a malformed request id filter with 422", async () => {
    const res = await call(LIST, {
      cookie: admin,
      org: t.org.slug,
      path: `/api/v1/audit/events?request_id=${encodeURIComponent("x' OR 1=1")}`,
    });
    expect(res.status).toBe(422);
    expect(res.json.errors[0].path).toBe("request_id");
  });
});
