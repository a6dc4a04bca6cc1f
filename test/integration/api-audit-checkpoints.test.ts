import { createPublicKey } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as LIST, POST as CREATE } from "@/app/api/v1/audit/checkpoints/route";
import { GET as CONSISTENCY } from "@/app/api/v1/audit/consistency/route";
import { GET as VERIFY } from "@/app/api/v1/audit/verify/route";
import {
  generateSigningKey,
  parseSigningKeyring,
  publicKeyFingerprint,
  signCheckpoint,
  verifyCheckpoint,
} from "@/lib/audit/checkpoint";
import { MerkleTree, verifyConsistencyProof } from "@/lib/audit/merkle";
import { closeDb } from "@/lib/db/client";
import { expectNothingWritten, headSeq, lastEvent, seedEvents, tamper } from "../helpers/audit";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";
import { bearer, createKey } from "../helpers/keys";

/*
 * This file runs with a rotated signing key ring: a retired key (public half
 * only, valid until a day ago) and the active key (valid since then). The
 * environment is read lazily, so setting it before the first request is enough.
 */
const DAY = 86_400_000;
const oldFrom = new Date(Date.now() - 30 * DAY);
const rotatedAt = new Date(Date.now() - DAY);
const oldKey = generateSigningKey({ validFrom: oldFrom });
const activeKey = generateSigningKey({ validFrom: rotatedAt });
const spki = (pem: string) => createPublicKey(pem).export({ type: "spki", format: "der" }).toString("base64");
process.env.WARDEN_AUDIT_SIGNING_KEYS = `pk:${spki(oldKey.publicKeyPem)}@${oldFrom.toISOString()}/${rotatedAt.toISOString()};${activeKey.spec}`;

let a: TestOrg;
let b: TestOrg;
const cookies: Record<string, string> = {};
let oldCheckpointId: string;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("cpa"), createTestOrg("cpb")]);
  for (const role of ["admin", "auditor", "approver", "viewer"] as const)
    cookies[role] = (await sessionCookie(a.users[role].id)).cookie;
  await seedEvents(a.org.id, 400);
  // A checkpoint the retired key signed two days ago, stored as the scheduler would have.
  const hashes = (
    await owner().query(`SELECT hash FROM audit_events WHERE org_id = $1 ORDER BY seq`, [a.org.id])
  ).rows.map((r) => r.hash);
  const size = 300;
  const signed = signCheckpoint(parseSigningKeyring(oldKey.spec), {
    org_id: a.org.id,
    tree_size: size,
    root_hash: MerkleTree.fromEventHashes(hashes.slice(0, size)).rootHex,
    timestamp: new Date(Date.now() - 2 * DAY).toISOString(),
  });
  oldCheckpointId = (
    await owner().query(
      `INSERT INTO audit_checkpoints (org_id, tree_size, root_hash, key_id, signed, reason, created_at)
       VALUES ($1, $2, $3, $4, $5, 'scheduled', $6) RETURNING id`,
      [a.org.id, size, signed.checkpoint.root_hash, signed.checkpoint.key_id, signed, signed.checkpoint.timestamp],
    )
  ).rows[0].id;
  await seedEvents(b.org.id, 3);
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

describe("POST /api/v1/audit/checkpoints", () => {
  it("201: signs the whole log now with the active key, stores it and audits it", async () => {
    const size = await headSeq(a.org.id);
    const res = await call(CREATE, { method: "POST", cookie: cookies.auditor, org: a.org.slug });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ tree_size: size, key_id: activeKey.keyId, reason: "on_demand" });
    expect(verifyCheckpoint(res.json.signed, activeKey.publicKeyPem)).toMatchObject({ ok: true });
    expect(await lastEvent(a.org.id)).toMatchObject({
      action: "audit.checkpoint_created",
      target_id: res.json.id,
      actor_id: a.users.auditor.id,
    });
  });

  it("201 for an admin, and for an API key with audit:export", async () => {
    expect((await call(CREATE, { method: "POST", cookie: cookies.admin, org: a.org.slug })).status).toBe(201);
    const key = await createKey(a, { scopes: ["audit:export"] });
    expect((await call(CREATE, { method: "POST", headers: bearer(key.token) })).status).toBe(201);
  });

  it("401 without a session; nothing written", async () => {
    await expectNothingWritten(a.org.id, async () => {
      expect((await call(CREATE, { method: "POST", org: a.org.slug })).status).toBe(401);
    });
  });

  it.each(["viewer", "approver"] as const)("403 for a %s; nothing written", async (role) => {
    await expectNothingWritten(a.org.id, async () => {
      expect((await call(CREATE, { method: "POST", cookie: cookies[role], org: a.org.slug })).status).toBe(403);
    });
  });

  it("403 for an API key with audit:read only, and for a cross-origin request; nothing written", async () => {
    const key = await createKey(a, { scopes: ["audit:read"] });
    await expectNothingWritten(a.org.id, async () => {
      expect((await call(CREATE, { method: "POST", headers: bearer(key.token) })).status).toBe(403);
      expect(
        (
          await call(CREATE, {
            method: "POST",
            cookie: cookies.auditor,
            org: a.org.slug,
            headers: { origin: "https://evil.example" },
          })
        ).status,
      ).toBe(403);
    });
  });

  it("404 for another organization; nothing written in either", async () => {
    await expectNothingWritten(b.org.id, () =>
      expectNothingWritten(a.org.id, async () => {
        expect((await call(CREATE, { method: "POST", cookie: cookies.auditor, org: b.org.slug })).status).toBe(404);
      }),
    );
  });
});

describe("GET /api/v1/audit/checkpoints", () => {
  it("200: newest first, paginated, with every key of the ring, retired ones included", async () => {
    const res = await call(LIST, {
      cookie: cookies.auditor,
      org: a.org.slug,
      path: "/api/v1/audit/checkpoints?limit=2",
    });
    expect(res.status).toBe(200);
    expect(res.json.checkpoints).toHaveLength(2);
    expect(res.json.keys).toEqual([
      {
        key_id: activeKey.keyId,
        fingerprint: publicKeyFingerprint(activeKey.publicKeyPem),
        public_key: activeKey.publicKeyPem,
        valid_from: rotatedAt.toISOString(),
        valid_until: null,
        status: "active",
      },
      {
        key_id: oldKey.keyId,
        fingerprint: publicKeyFingerprint(oldKey.publicKeyPem),
        public_key: oldKey.publicKeyPem,
        valid_from: oldFrom.toISOString(),
        valid_until: rotatedAt.toISOString(),
        status: "retired",
      },
    ]);
    expect(JSON.stringify(res.json)).not.toMatch(/PRIVATE KEY/);

    const all: { id: string; key_id: string }[] = [...res.json.checkpoints];
    let cursor = res.json.next_cursor;
    while (cursor) {
      const page = await call(LIST, {
        cookie: cookies.auditor,
        org: a.org.slug,
        path: `/api/v1/audit/checkpoints?limit=2&cursor=${cursor}`,
      });
      all.push(...page.json.checkpoints);
      cursor = page.json.next_cursor;
    }
    expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
    expect(all[all.length - 1]).toMatchObject({ id: oldCheckpointId, key_id: oldKey.keyId });
    // Each checkpoint verifies offline with the published key of its id.
    for (const c of all as unknown as { key_id: string; signed: unknown }[]) {
      const key = res.json.keys.find((k: { key_id: string }) => k.key_id === c.key_id);
      expect(verifyCheckpoint(c.signed, key.public_key).ok).toBe(true);
    }
  });

  it("401, 403 for a viewer and an approver, 404 for another organization, 422 for a bad cursor or limit", async () => {
    expect((await call(LIST, { org: a.org.slug })).status).toBe(401);
    expect((await call(LIST, { cookie: cookies.viewer, org: a.org.slug })).status).toBe(403);
    expect((await call(LIST, { cookie: cookies.approver, org: a.org.slug })).status).toBe(403);
    expect((await call(LIST, { cookie: cookies.auditor, org: b.org.slug })).status).toBe(404);
    expect(
      (await call(LIST, { cookie: cookies.auditor, org: a.org.slug, path: "/api/v1/audit/checkpoints?cursor=bm9wZQ" }))
        .status,
    ).toBe(422);
    expect(
      (await call(LIST, { cookie: cookies.auditor, org: a.org.slug, path: "/api/v1/audit/checkpoints?limit=0" }))
        .status,
    ).toBe(422);
  });
});

describe("GET /api/v1/audit/consistency", () => {
  const get = (q: string, cookie = cookies.auditor, org = a.org.slug) =>
    call(CONSISTENCY, { cookie, org, path: `/api/v1/audit/consistency${q}` });
  const buf = (h: string) => Buffer.from(h, "hex");

  it("200: from the retired key's checkpoint to the newest one, the proof verifies", async () => {
    await seedEvents(a.org.id, 50);
    const latest = await call(CREATE, { method: "POST", cookie: cookies.auditor, org: a.org.slug });
    const res = await get(`?from=${oldCheckpointId}`);
    expect(res.status).toBe(200);
    expect(res.json.from).toMatchObject({ tree_size: 300, checkpoint: { id: oldCheckpointId, key_id: oldKey.keyId } });
    expect(res.json.to).toMatchObject({ tree_size: latest.json.tree_size, checkpoint: { id: latest.json.id } });
    expect(
      verifyConsistencyProof({
        oldSize: 300,
        newSize: latest.json.tree_size,
        oldRoot: buf(res.json.from.root_hash),
        newRoot: buf(res.json.to.root_hash),
        proof: res.json.proof.map(buf),
      }),
    ).toBe(true);
  });

  it("200 between two tree sizes, and an empty proof for equal sizes", async () => {
    const res = await get("?from=10&to=200");
    expect(res.status).toBe(200);
    expect(res.json.from.checkpoint).toBeNull();
    expect(
      verifyConsistencyProof({
        oldSize: 10,
        newSize: 200,
        oldRoot: buf(res.json.from.root_hash),
        newRoot: buf(res.json.to.root_hash),
        proof: res.json.proof.map(buf),
      }),
    ).toBe(true);
    const same = await get("?from=50&to=50");
    expect(same.json.proof).toEqual([]);
    expect(same.json.from.root_hash).toBe(same.json.to.root_hash);
  });

  it("401, and 403 for a viewer and an approver", async () => {
    expect((await call(CONSISTENCY, { org: a.org.slug, path: "/api/v1/audit/consistency?from=1" })).status).toBe(401);
    expect((await get("?from=1", cookies.viewer)).status).toBe(403);
    expect((await get("?from=1", cookies.approver)).status).toBe(403);
  });

  it("404 for an unknown checkpoint and for another organization's checkpoint", async () => {
    expect((await get(`?from=00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    const theirs = (
      await call(CREATE, { method: "POST", cookie: (await sessionCookie(b.users.auditor.id)).cookie, org: b.org.slug })
    ).json.id;
    expect((await get(`?from=1&to=${theirs}`)).status).toBe(404);
    expect((await get(`?from=1`, cookies.auditor, b.org.slug)).status).toBe(404);
  });

  it.each([
    ["no from", ""],
    ["from after to", "?from=20&to=10"],
    ["a size beyond the log", "?from=1&to=99999999"],
    ["a negative size", "?from=-1"],
    ["garbage", "?from=abc"],
    ["from the empty tree", "?from=0&to=10"],
    ["from the empty tree to itself", "?from=0&to=0"],
  ])("422 for %s", async (_label, q) => {
    const res = await get(q);
    expect(res.status).toBe(422);
    expect(res.json.errors.length).toBeGreaterThan(0);
  });

  it("422 names from when it is the empty tree (RFC 9162 needs 0 < from)", async () => {
    const res = await get("?from=0");
    expect(res.status).toBe(422);
    expect(res.json.errors).toEqual([{ path: "from", message: expect.stringContaining("size 0 proves nothing") }]);
  });
});

describe("GET /api/v1/audit/verify", () => {
  it("200: the chain verified through its head, every checkpoint checked (the retired key's too), the latest reported", async () => {
    const res = await call(VERIFY, { cookie: cookies.auditor, org: a.org.slug });
    expect(res.status).toBe(200);
    expect(res.json.chain).toMatchObject({ ok: true, length: await headSeq(a.org.id) });
    expect(res.json.checkpoints.failed).toEqual([]);
    expect(res.json.checkpoints.verified).toBe(res.json.checkpoints.total);
    expect(res.json.checkpoints.total).toBeGreaterThanOrEqual(4);
    expect(res.json.latest_checkpoint).toMatchObject({
      key_id: activeKey.keyId,
      signature_valid: true,
      matches_chain: true,
    });
  });

  it("200 naming the first broken seq after an edit", async () => {
    const t = await createTestOrg("vbad");
    await seedEvents(t.org.id, 10);
    await tamper(`UPDATE audit_events SET action = 'test.forged' WHERE org_id = $1 AND seq = 7`, [t.org.id]);
    const res = await call(VERIFY, { cookie: (await sessionCookie(t.users.admin.id)).cookie, org: t.org.slug });
    expect(res.status).toBe(200);
    expect(res.json.chain).toMatchObject({
      ok: false,
      first_bad_seq: 7,
      reason: "content does not match its hash (edited)",
    });
    expect(res.json.latest_checkpoint).toBeNull();
  });

  it("401, 403 for a viewer and an approver, 404 for another organization", async () => {
    expect((await call(VERIFY, { org: a.org.slug })).status).toBe(401);
    expect((await call(VERIFY, { cookie: cookies.viewer, org: a.org.slug })).status).toBe(403);
    expect((await call(VERIFY, { cookie: cookies.approver, org: a.org.slug })).status).toBe(403);
    expect((await call(VERIFY, { cookie: cookies.auditor, org: b.org.slug })).status).toBe(404);
  });
});

describe("GET /api/v1/audit/checkpoints paging", () => {
  it("lists checkpoints that share one timestamp exactly once each; another organization's cursor is 422", async () => {
    const c = await createTestOrg("cp-page");
    const cookie = (await sessionCookie(c.users.auditor.id)).cookie;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      await seedEvents(c.org.id, 1);
      const res = await call(CREATE, { method: "POST", cookie, org: c.org.slug });
      expect(res.status).toBe(201);
      made.push(res.json.id);
    }
    // Same microsecond for all: a cursor carrying a millisecond timestamp would skip some.
    await owner().query(`UPDATE audit_checkpoints SET created_at = '2026-01-01T00:00:00.777777Z' WHERE org_id = $1`, [
      c.org.id,
    ]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(LIST, {
        cookie,
        org: c.org.slug,
        path: `/api/v1/audit/checkpoints?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      });
      expect(page.status).toBe(200);
      seen.push(...page.json.checkpoints.map((x: { id: string }) => x.id));
      cursor = page.json.next_cursor;
    } while (cursor && seen.length < 20);
    expect(seen.length).toBe(5);
    expect([...seen].sort()).toEqual([...made].sort());

    const first = await call(LIST, { cookie, org: c.org.slug, path: "/api/v1/audit/checkpoints?limit=1" });
    const foreign = await call(LIST, {
      cookie: cookies.auditor,
      org: a.org.slug,
      path: `/api/v1/audit/checkpoints?cursor=${first.json.next_cursor}`,
    });
    expect(foreign.status).toBe(422);
  });
});
