import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as LIST } from "@/app/api/v1/audit/events/route";
import { GET as DETAIL } from "@/app/api/v1/audit/events/[seq]/route";
import { createCheckpoint } from "@/lib/audit/create-checkpoint";
import { canonicalEvent, chainHash } from "@/lib/audit/event";
import { closeDb } from "@/lib/db/client";
import { expectNothingWritten, headSeq, seedEvents, tamper } from "../helpers/audit";
import { closeOwner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";
import { bearer, createKey, memberContext } from "../helpers/keys";

let a: TestOrg;
let b: TestOrg;
const cookies: Record<string, string> = {};
const BASE_TIME = Date.UTC(2026, 0, 1);

beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("ev-a"), createTestOrg("ev-b")]);
  for (const role of ["admin", "auditor", "approver", "viewer"] as const)
    cookies[role] = (await sessionCookie(a.users[role].id)).cookie;
  cookies.bAuditor = (await sessionCookie(b.users.auditor.id)).cookie;
  // 120 events one millisecond apart from 2026-01-01, by two actors, two kinds, three targets.
  await seedEvents(a.org.id, 120, {
    startAt: new Date(BASE_TIME),
    make: (i) => ({
      actor: { type: "user", id: i % 2 ? a.users.admin.id : a.users.approver.id },
      action: i % 3 ? "test.alpha" : "test.beta.done",
      target: { type: "widget", id: `w-${i % 3}` },
      data: { i },
    }),
  });
  await seedEvents(b.org.id, 5);
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const list = (query: string, cookie = cookies.auditor, org = a.org.slug) =>
  call(LIST, { cookie, org, path: `/api/v1/audit/events${query}` });

describe("GET /api/v1/audit/events", () => {
  it("200: newest first, with hashes, and only this organization's events", async () => {
    const res = await list("?limit=10");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const seqs = res.json.events.map((e: { seq: number }) => e.seq);
    const head = await headSeq(a.org.id);
    expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => head - i));
    for (const e of res.json.events) {
      expect(e.event.org_id).toBe(a.org.id);
      expect(chainHash(e.prev_hash, canonicalEvent(e.event))).toBe(e.hash);
    }
    expect(res.json.events[0].actor_label).toBe(a.users.admin.email);
  });

  it("200: cursor pagination walks the whole trail once, without gaps or repeats", async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await list(`?limit=37${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      seen.push(...res.json.events.map((e: { seq: number }) => e.seq));
      cursor = res.json.next_cursor;
    } while (cursor);
    const head = await headSeq(a.org.id);
    expect(seen).toEqual(Array.from({ length: head }, (_, i) => head - i));
  });

  it("200: filters by actor, event type (exact or prefix), target and time range, combined", async () => {
    const byActor = await list(`?actor=${a.users.admin.id}&action=test.*&limit=200`);
    expect(byActor.json.events.length).toBe(60);
    expect(new Set(byActor.json.events.map((e: { event: { actor: { id: string } } }) => e.event.actor.id))).toEqual(
      new Set([a.users.admin.id]),
    );

    expect((await list("?action=test.beta.done&limit=200")).json.events.length).toBe(40);
    expect((await list("?action=test.*&limit=200")).json.events.length).toBe(120);
    expect((await list("?action=test.beta&limit=200")).json.events.length).toBe(0);
    expect((await list("?target_type=widget&target_id=w-1&limit=200")).json.events.length).toBe(40);
    expect(
      (await list("?actor_type=system&limit=200")).json.events.map(
        (e: { event: { action: string } }) => e.event.action,
      ),
    ).toContain("org.created");

    const from = new Date(BASE_TIME + 10).toISOString();
    const to = new Date(BASE_TIME + 20).toISOString();
    const ranged = await list(`?from=${from}&to=${to}&limit=200`);
    expect(ranged.json.events.map((e: { event: { data: { i: number } } }) => e.event.data.i)).toEqual([
      19, 18, 17, 16, 15, 14, 13, 12, 11, 10,
    ]);

    const combined = await list(`?from=${from}&to=${to}&action=test.beta.done&actor=${a.users.approver.id}`);
    expect(combined.json.events.map((e: { event: { data: { i: number } } }) => e.event.data.i)).toEqual([18, 12]);
  });

  it("200 for an admin and for an API key with audit:read", async () => {
    expect((await list("?limit=1", cookies.admin)).status).toBe(200);
    const key = await createKey(a, { scopes: ["audit:read"] });
    const res = await call(LIST, { headers: bearer(key.token), path: "/api/v1/audit/events?limit=1" });
    expect(res.status).toBe(200);
    expect(res.json.events[0].event.org_id).toBe(a.org.id);
  });

  it("200: empty form fields count as absent", async () => {
    const res = await list("?actor=&action=&target_type=&from=&to=&limit=5");
    expect(res.status).toBe(200);
    expect(res.json.events).toHaveLength(5);
  });

  it("401 without a session", async () => {
    const res = await call(LIST, { org: a.org.slug, path: "/api/v1/audit/events" });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  it.each(["viewer", "approver"] as const)("403 for a %s", async (role) => {
    const res = await list("", cookies[role]);
    expect(res.status).toBe(403);
    expect(res.json.code).toBe("forbidden");
  });

  it("403 for an API key without audit:read", async () => {
    const key = await createKey(a, { scopes: ["actions:read"] });
    expect((await call(LIST, { headers: bearer(key.token), path: "/api/v1/audit/events" })).status).toBe(403);
  });

  it("404 for another organization's trail", async () => {
    expect((await list("", cookies.auditor, b.org.slug)).status).toBe(404);
  });

  it.each([
    ["an inverted range", `?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`],
    ["an empty range", `?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`],
    ["a malformed date", `?from=yesterday`],
    ["a date without a zone", `?to=2026-01-01T00:00:00`],
    ["a bad cursor", `?cursor=abc`],
    ["a limit too large", `?limit=1000`],
    ["a malformed event type", `?action=DROP TABLE`],
    ["an unknown actor type", `?actor_type=robot`],
  ])("422 for %s; nothing written", async (_label, query) => {
    await expectNothingWritten(a.org.id, async () => {
      const res = await list(query);
      expect(res.status).toBe(422);
      expect(res.json.errors.length).toBeGreaterThan(0);
    });
  });
});

describe("GET /api/v1/audit/events/{seq}", () => {
  const detail = (seq: string, cookie = cookies.auditor, org = a.org.slug) =>
    call(DETAIL, { cookie, org, params: { seq } });

  it("200: the canonical JSON, its hash recomputed, the link, and an inclusion proof against the newest checkpoint", async () => {
    expect((await detail("5")).json.inclusion).toBeNull();
    await createCheckpoint(memberContext(a, "auditor"));
    const res = await detail("5");
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ seq: 5, hash_matches: true, linked: true });
    expect(res.json.canonical).toBe(canonicalEvent(res.json.event));
    expect(res.json.recomputed_hash).toBe(res.json.hash);
    expect(res.json.inclusion).toMatchObject({ leaf_index: 4, leads_to_root: true });
    expect(res.json.inclusion.checkpoint.tree_size).toBeGreaterThanOrEqual(5);
  });

  it("200 showing a tampered event as such", async () => {
    const t = await createTestOrg("ev-t");
    await seedEvents(t.org.id, 5);
    await tamper(`UPDATE audit_events SET data = '{"i": 999}' WHERE org_id = $1 AND seq = 3`, [t.org.id]);
    const res = await call(DETAIL, {
      cookie: (await sessionCookie(t.users.auditor.id)).cookie,
      org: t.org.slug,
      params: { seq: "3" },
    });
    expect(res.status).toBe(200);
    expect(res.json.hash_matches).toBe(false);
    expect(res.json.recomputed_hash).not.toBe(res.json.hash);
  });

  it("200 without an inclusion proof when the log has lost an event or its tail since the checkpoint", async () => {
    const t = await createTestOrg("ev-g");
    await seedEvents(t.org.id, 600);
    await createCheckpoint(memberContext(t, "auditor"));
    const cookie = (await sessionCookie(t.users.auditor.id)).cookie;
    await tamper(`DELETE FROM audit_events WHERE org_id = $1 AND seq = 300`, [t.org.id]);
    // Event 310's proof needs the leaves of its 256-event chunk, which lost 300.
    const gap = await call(DETAIL, { cookie, org: t.org.slug, params: { seq: "310" } });
    expect(gap.status).toBe(200);
    expect(gap.json).toMatchObject({ seq: 310, hash_matches: true, inclusion: null });
    // Event 590's comes from cached nodes made before the deletion, and is still right.
    expect((await call(DETAIL, { cookie, org: t.org.slug, params: { seq: "590" } })).json.inclusion).toMatchObject({
      leads_to_root: true,
    });
    await tamper(
      [
        `DELETE FROM audit_events WHERE org_id = $1 AND seq > 500`,
        `UPDATE audit_heads h SET seq = 500, hash = e.hash FROM audit_events e WHERE h.org_id = $1 AND e.org_id = $1 AND e.seq = 500`,
      ],
      [t.org.id],
    );
    const truncated = await call(DETAIL, { cookie, org: t.org.slug, params: { seq: "10" } });
    expect(truncated.status).toBe(200);
    expect(truncated.json.inclusion).toBeNull();
  });

  it("401 without a session; 403 for a viewer and an approver", async () => {
    expect((await call(DETAIL, { org: a.org.slug, params: { seq: "1" } })).status).toBe(401);
    expect((await detail("1", cookies.viewer)).status).toBe(403);
    expect((await detail("1", cookies.approver)).status).toBe(403);
  });

  it("404 beyond the head, for a malformed seq, and for another organization", async () => {
    expect((await detail(String((await headSeq(a.org.id)) + 1000))).status).toBe(404);
    for (const bad of ["0", "-1", "1.5", "abc", "1 OR 1=1"]) expect((await detail(bad)).status, bad).toBe(404);
    expect((await detail("1", cookies.auditor, b.org.slug)).status).toBe(404);
  });
});
