import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as EXPORT } from "@/app/api/v1/audit/export/route";
import { canonicalEvent, chainHash } from "@/lib/audit/event";
import { EXPORT_PAGE, csvCell } from "@/lib/audit/export-events";
import { closeDb } from "@/lib/db/client";
import { expectNothingWritten, headSeq, lastEvent, seedEvents } from "../helpers/audit";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, callRaw, sessionCookie } from "../helpers/http";
import { bearer, createKey } from "../helpers/keys";

let a: TestOrg;
let b: TestOrg;
const cookies: Record<string, string> = {};
const T0 = Date.UTC(2026, 1, 1);

beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("ex-a"), createTestOrg("ex-b")]);
  for (const role of ["admin", "auditor", "approver", "viewer"] as const)
    cookies[role] = (await sessionCookie(a.users[role].id)).cookie;
  // 5,000 events, 1 ms apart from 2026-02-01: more than two export pages.
  await seedEvents(a.org.id, 5000, {
    startAt: new Date(T0),
    make: (i) => ({
      actor: { type: "user", id: a.users.admin.id },
      action: "test.export",
      target: { type: "widget", id: i === 7 ? '=HYPERLINK("http://evil.example","click")' : `w-${i}` },
      data: { i, note: i === 8 ? "+cmd|' /C calc'!A0" : 'plain, with "quotes"\nand a newline' },
    }),
  });
  await seedEvents(b.org.id, 3);
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const path = (q: string) => `/api/v1/audit/export${q}`;
const exportAs = (q: string, cookie = cookies.auditor, org: string | undefined = a.org.slug) =>
  callRaw(EXPORT, { cookie, org, path: path(q) });

describe("GET /api/v1/audit/export", () => {
  it("200 JSONL: one canonical event per line for the range, each hash rechecks, and the export is audited with its size", async () => {
    const from = new Date(T0 + 100).toISOString();
    const to = new Date(T0 + 4600).toISOString();
    const res = await exportAs(`?format=jsonl&from=${from}&to=${to}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(
      /^attachment; filename="warden-audit-ex-a-[0-9a-f]+-2026-02-01T00-00-00-100Z-2026-02-01T00-00-04-600Z\.jsonl"$/,
    );
    const body = Buffer.from(await res.arrayBuffer());
    const lines = body.toString("utf8").split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(4500);
    const parsed = lines.map((l) => JSON.parse(l));
    parsed.forEach((p, i) => {
      expect(p.event.data.i).toBe(100 + i);
      expect(chainHash(p.prev_hash, canonicalEvent(p.event))).toBe(p.hash);
      if (i > 0) expect(p.prev_hash).toBe(parsed[i - 1].hash);
    });
    // Lines are canonical JSON: parsing and re-canonicalising gives the same bytes.
    for (const l of lines.slice(0, 50)) expect(canonicalize(JSON.parse(l))).toBe(l);

    const ev = await lastEvent(a.org.id);
    expect(ev).toMatchObject({ action: "audit.exported", actor_id: a.users.auditor.id, target_type: "audit_log" });
    // The request came first (the range fixed at the head before it), then the export.
    const requested = (
      await owner().query(`SELECT action, target_id, data FROM audit_events WHERE org_id = $1 AND seq = $2`, [
        a.org.id,
        ev.seq - 1,
      ])
    ).rows[0];
    expect(requested).toMatchObject({ action: "audit.export_requested", target_id: ev.data.export_id });
    expect(requested.data).toMatchObject({ format: "jsonl", through_seq: ev.seq - 2, estimated_events: 4500 });
    // The estimate is an upper bound, and a close one.
    expect(requested.data.estimated_bytes).toBeGreaterThanOrEqual(body.length);
    expect(requested.data.estimated_bytes).toBeLessThan(body.length * 1.25);
    expect(ev.data).toEqual({
      export_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      format: "jsonl",
      from,
      to,
      through_seq: ev.seq - 2,
      completed: true,
      events: 4500,
      bytes: body.length,
      first_seq: parsed[0].seq,
      last_seq: parsed[4499].seq,
      sha256: createHash("sha256").update(body).digest("hex"),
    });
  });

  it("200 CSV: a header, RFC 4180 quoting, and cells a spreadsheet would run as formulas defused", async () => {
    const res = await exportAs(
      `?format=csv&from=${new Date(T0 + 7).toISOString()}&to=${new Date(T0 + 9).toISOString()}`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const text = await res.text();
    const rows = text.split("\r\n");
    expect(rows[0]).toBe("seq,occurred_at,actor_type,actor_id,action,target_type,target_id,ip,data,prev_hash,hash");
    expect(rows[1]).toContain(`,widget,"'=HYPERLINK(""http://evil.example"",""click"")",`);
    expect(rows[2]).toContain(`"{""i"":8,""note"":""+cmd|' /C calc'!A0""}"`);
    expect(rows).toHaveLength(4); // header, two events, and the empty string after the last CRLF
    expect((await lastEvent(a.org.id)).data).toMatchObject({
      format: "csv",
      events: 2,
      completed: true,
      bytes: Buffer.byteLength(text),
    });
  });

  it("csvCell escapes every formula trigger and quotes separators", () => {
    expect(["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"].map(csvCell)).toEqual([
      "'=1+1",
      "'+1",
      "'-1",
      "'@SUM(A1)",
      "'\tx",
      '"\'\rx"',
    ]);
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("line\nbreak")).toBe('"line\nbreak"');
    expect(csvCell(null)).toBe("");
    expect(csvCell(42)).toBe("42");
    expect(csvCell("safe text")).toBe("safe text");
  });

  it("200 without a range: the whole trail up to the head at the start, in seq order", async () => {
    const head = await headSeq(a.org.id);
    const res = await exportAs("?format=jsonl");
    const seqs = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).seq);
    expect(seqs).toEqual(Array.from({ length: head }, (_, i) => i + 1));
  });

  it("streams: a client that reads one chunk and goes away has pulled at most two pages, and the partial export is still audited", async () => {
    const res = await exportAs("?format=jsonl");
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    expect(new TextDecoder().decode(first.value).split("\n").length - 1).toBe(EXPORT_PAGE);
    await reader.cancel();
    const ev = await lastEvent(a.org.id);
    expect(ev.action).toBe("audit.exported");
    expect(ev.data.completed).toBe(false);
    expect(ev.data.sha256).toBeNull();
    // Pull-driven: one page delivered, at most one more buffered, never the whole 5,000+.
    expect([EXPORT_PAGE, 2 * EXPORT_PAGE]).toContain(ev.data.events);
  });

  it("200 through a download link: the organization in the query string, same-origin", async () => {
    const res = await callRaw(EXPORT, {
      cookie: cookies.auditor,
      path: path(`?format=csv&org=${a.org.slug}&from=2026-02-01T00:00:00Z&to=2026-02-01T00:00:00.003Z`),
      headers: { "sec-fetch-site": "same-origin" },
    });
    expect(res.status).toBe(200);
    expect((await res.text()).split("\r\n")).toHaveLength(5);
  });

  it("403 for a download link followed from another site; nothing written", async () => {
    await expectNothingWritten(a.org.id, async () => {
      const res = await call(EXPORT, {
        cookie: cookies.auditor,
        path: path(`?format=csv&org=${a.org.slug}`),
        headers: { "sec-fetch-site": "cross-site" },
      });
      expect(res.status).toBe(403);
    });
  });

  it("200 for an admin and for an API key with audit:export", async () => {
    expect(
      (await exportAs("?format=csv&from=2026-02-01T00:00:00Z&to=2026-02-01T00:00:00.001Z", cookies.admin)).status,
    ).toBe(200);
    const key = await createKey(a, { scopes: ["audit:export"] });
    const res = await callRaw(EXPORT, {
      headers: bearer(key.token),
      path: path("?format=jsonl&from=2026-02-01T00:00:00Z&to=2026-02-01T00:00:00.001Z"),
    });
    expect(res.status).toBe(200);
    expect((await res.text()).trim().split("\n")).toHaveLength(1);
    expect(await lastEvent(a.org.id)).toMatchObject({
      action: "audit.exported",
      actor_type: "api_key",
      actor_id: key.id,
    });
  });

  it("401 without a session; nothing written", async () => {
    await expectNothingWritten(a.org.id, async () => {
      expect((await call(EXPORT, { org: a.org.slug, path: path("?format=jsonl") })).status).toBe(401);
    });
  });

  it.each(["viewer", "approver"] as const)("403 for a %s; nothing written", async (role) => {
    await expectNothingWritten(a.org.id, async () => {
      expect((await call(EXPORT, { cookie: cookies[role], org: a.org.slug, path: path("?format=jsonl") })).status).toBe(
        403,
      );
    });
  });

  it("403 for an API key with audit:read only", async () => {
    const key = await createKey(a, { scopes: ["audit:read"] });
    await expectNothingWritten(a.org.id, async () => {
      expect((await call(EXPORT, { headers: bearer(key.token), path: path("?format=jsonl") })).status).toBe(403);
    });
  });

  it("404 for another organization; nothing written in either", async () => {
    await expectNothingWritten(b.org.id, () =>
      expectNothingWritten(a.org.id, async () => {
        expect(
          (await call(EXPORT, { cookie: cookies.auditor, org: b.org.slug, path: path("?format=jsonl") })).status,
        ).toBe(404);
      }),
    );
  });

  it.each([
    ["no format", "?from=2026-02-01T00:00:00Z"],
    ["an unknown format", "?format=xlsx"],
    ["an inverted range", "?format=jsonl&from=2026-03-01T00:00:00Z&to=2026-02-01T00:00:00Z"],
    ["an empty range", "?format=jsonl&from=2026-03-01T00:00:00Z&to=2026-03-01T00:00:00Z"],
    ["a malformed from", "?format=jsonl&from=2026-13-01"],
    ["a malformed to", "?format=csv&to=now"],
    ["a date without a zone", "?format=csv&from=2026-02-01T00:00:00"],
  ])("422 for %s; nothing written", async (_label, q) => {
    await expectNothingWritten(a.org.id, async () => {
      const res = await call(EXPORT, { cookie: cookies.auditor, org: a.org.slug, path: path(q) });
      expect(res.status).toBe(422);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    });
  });

  it("200 with an empty body for a range holding no events, still audited", async () => {
    const res = await exportAs("?format=jsonl&from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect((await lastEvent(a.org.id)).data).toMatchObject({ events: 0, bytes: 0, completed: true, first_seq: null });
    const count = (
      await owner().query(
        `SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1 AND action = 'audit.exported'`,
        [a.org.id],
      )
    ).rows[0].n;
    expect(count).toBeGreaterThan(0);
  });
});
