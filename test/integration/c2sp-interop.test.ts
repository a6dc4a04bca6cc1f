import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as NOTE } from "@/app/api/v1/audit/checkpoint/route";
import { POST as CREATE } from "@/app/api/v1/audit/checkpoints/route";
import { GET as CONSISTENCY } from "@/app/api/v1/audit/consistency/route";
import { GET as KEYS } from "@/app/api/v1/audit/verifier-keys/route";
import { generateSigningKey, parseSigningKeyring } from "@/lib/audit/checkpoint";
import { signCheckpointNote, verifierKeysOf } from "@/lib/audit/checkpoint-note";
import { hashLeaf, MerkleTree } from "@/lib/audit/merkle";
import { closeDb } from "@/lib/db/client";
import { parseCheckpointNote, verifyNote } from "@/lib/proof-pack/verify.mjs";
import { expectNothingWritten, seedEvents } from "../helpers/audit";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { buildGoChecker, runGoChecker } from "../helpers/go-c2sp";
import { call, callRaw, sessionCookie } from "../helpers/http";
import { bearer, createKey } from "../helpers/keys";

/*
 * The signed-note checkpoint, verifier keys and Merkle proofs checked by an
 * implementation nobody here wrote: Go's golang.org/x/mod/sumdb/note and
 * sumdb/tlog (Debian's golang-golang-x-mod-dev), and by verify.mjs, which
 * must agree with Go on every case.
 */

let go: string;
let a: TestOrg;
let b: TestOrg;
let auditor: string;

beforeAll(async () => {
  go = buildGoChecker();
  [a, b] = await Promise.all([createTestOrg("c2a"), createTestOrg("c2b")]);
  auditor = (await sessionCookie(a.users.auditor.id)).cookie;
  await Promise.all([seedEvents(a.org.id, 300), seedEvents(b.org.id, 5)]);
}, 240_000);
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const getNote = (cookie = auditor, org = a.org.slug, headers: Record<string, string> = {}) =>
  callRaw(NOTE, { cookie, org, path: "/api/v1/audit/checkpoint", headers });

async function vkeysOf(org: TestOrg, cookie: string): Promise<string[]> {
  const res = await call(KEYS, { cookie, org: org.org.slug, path: "/api/v1/audit/verifier-keys" });
  expect(res.status).toBe(200);
  return res.json.keys.map((k: { verifier_key: string }) => k.verifier_key);
}

/** Go and verify.mjs must reach the same verdict. */
function bothVerify(note: string, vkeys: string[]): boolean {
  const goResult = runGoChecker(go, ["note", ...vkeys], note);
  const ours = verifyNote(note, vkeys);
  expect(ours.ok, `verify.mjs vs Go (${goResult.stderr.trim()})`).toBe(goResult.ok);
  if (goResult.ok && ours.ok) expect(ours.text).toBe(goResult.stdout);
  return goResult.ok;
}

describe("GET /api/v1/audit/checkpoint (C2SP signed note)", () => {
  it("serves the newest checkpoint as text/plain that Go's sumdb/note verifies with the published verifier key", async () => {
    const created = await call(CREATE, { method: "POST", cookie: auditor, org: a.org.slug });
    expect(created.status).toBe(201);
    const res = await getNote();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const note = await res.text();
    expect(note).toBe(created.json.note);

    const vkeys = await vkeysOf(a, auditor);
    const goResult = runGoChecker(go, ["note", ...vkeys], note);
    expect(goResult.ok, goResult.stderr).toBe(true);
    const body = parseCheckpointNote(goResult.stdout);
    expect(body).toEqual({
      origin: `localhost:3999/audit/${a.org.id}`,
      treeSize: created.json.tree_size,
      rootHash: created.json.root_hash,
      extensions: [],
    });
    // The exact wire format of c2sp.org/tlog-checkpoint.
    const root64 = Buffer.from(created.json.root_hash, "hex").toString("base64");
    expect(note).toMatch(
      new RegExp(
        `^localhost:3999/audit/${a.org.id}\\n${created.json.tree_size}\\n${root64.replace(/[+/]/g, "\\$&")}\\n\\n(\u2014 localhost:3999/audit/${a.org.id} [A-Za-z0-9+/]{91}=\\n)+$`,
      ),
    );
    expect(bothVerify(note, vkeys)).toBe(true);
  });

  it("a tampered size, root or origin fails Go's verifier and verify.mjs alike", async () => {
    const note = await (await getNote()).text();
    const vkeys = await vkeysOf(a, auditor);
    const [origin = "", size = "", root = ""] = note.split("\n");
    const otherRoot = createHash("sha256").update("forged").digest("base64");
    const tampered = [
      note.replace(`\n${size}\n`, `\n${Number(size) + 1}\n`),
      note.replace(`\n${size}\n`, `\n${Number(size) - 1}\n`),
      note.replace(`\n${root}\n`, `\n${otherRoot}\n`),
      note.replace(`${origin}\n`, `${origin.replace(a.org.id, b.org.id)}\n`),
      // A signature byte flipped (still valid base64 of the same length).
      note.replace(
        / ([A-Za-z0-9+/]{10})([A-Za-z0-9+/])/,
        (_m, p: string, c: string) => ` ${p}${c === "A" ? "B" : "A"}`,
      ),
      note.replace("\n\n", "\n"),
      note.slice(0, -1),
    ];
    for (const t of tampered) expect(bothVerify(t, vkeys), JSON.stringify(t)).toBe(false);
  });

  it("another organization's verifier key does not verify this organization's note (the origin is in every key hash)", async () => {
    const note = await (await getNote()).text();
    const theirs = await vkeysOf(b, (await sessionCookie(b.users.auditor.id)).cookie);
    expect(bothVerify(note, theirs)).toBe(false);
  });

  it("during a key rotation both keys sign, and either verifier key alone verifies the note", () => {
    const DAY = 86_400_000;
    const outgoing = generateSigningKey({ validFrom: new Date(Date.now() - 30 * DAY) });
    const incoming = generateSigningKey({ validFrom: new Date(Date.now() - DAY) });
    const ring = parseSigningKeyring(`${outgoing.spec};${incoming.spec}`);
    const root = createHash("sha256").update("root").digest("hex");
    const note = signCheckpointNote(ring, a.org.id, 42, root, new Date());
    expect(note.split("\n").filter((l) => l.startsWith("\u2014 "))).toHaveLength(2);
    const keys = verifierKeysOf(a.org.id, ring).keys;
    expect(keys.map((k) => k.status)).toEqual(["active", "standby"]);
    for (const k of keys) expect(bothVerify(note, [k.verifier_key])).toBe(true);
    // A key retired (no private half) before the note no longer signs.
    const retired = parseSigningKeyring(
      `pk:${Buffer.from(
        parseSigningKeyring(outgoing.spec).keys[0]!.publicKey.export({ type: "spki", format: "der" }),
      ).toString("base64")}@${outgoing.validFrom};${incoming.spec}`,
    );
    const single = signCheckpointNote(retired, a.org.id, 42, root, new Date());
    expect(single.split("\n").filter((l) => l.startsWith("\u2014 "))).toHaveLength(1);
    expect(bothVerify(single, [keys[1]!.verifier_key])).toBe(false);
    expect(bothVerify(single, [keys[0]!.verifier_key])).toBe(true);
  });

  it("a checkpoint stored before notes existed is served with a note signed on read", async () => {
    const t = await createTestOrg("c2legacy");
    await seedEvents(t.org.id, 3);
    const cookie = (await sessionCookie(t.users.auditor.id)).cookie;
    const created = await call(CREATE, { method: "POST", cookie, org: t.org.slug });
    await owner().query(`UPDATE audit_checkpoints SET note = NULL WHERE id = $1`, [created.json.id]);
    const res = await getNote(cookie, t.org.slug);
    expect(res.status).toBe(200);
    const note = await res.text();
    expect(bothVerify(note, await vkeysOf(t, cookie))).toBe(true);
    expect(parseCheckpointNote(note.slice(0, note.indexOf("\n\n") + 1))).toMatchObject({
      treeSize: created.json.tree_size,
      rootHash: created.json.root_hash,
    });
  });

  it("an API key with audit:read may fetch it (a monitor's credential)", async () => {
    const key = await createKey(a, { scopes: ["audit:read"] });
    const res = await callRaw(NOTE, { org: a.org.slug, path: "/api/v1/audit/checkpoint", headers: bearer(key.token) });
    expect(res.status).toBe(200);
  });

  it("401 without credentials, 403 for a viewer and an approver, 404 for another organization; nothing written", async () => {
    const viewer = (await sessionCookie(a.users.viewer.id)).cookie;
    const approver = (await sessionCookie(a.users.approver.id)).cookie;
    await expectNothingWritten(a.org.id, async () => {
      expect((await callRaw(NOTE, { org: a.org.slug, path: "/api/v1/audit/checkpoint" })).status).toBe(401);
      expect((await getNote(viewer)).status).toBe(403);
      expect((await getNote(approver)).status).toBe(403);
      expect((await getNote(auditor, b.org.slug)).status).toBe(404);
      expect((await getNote()).status).toBe(200);
    });
  });

  it("404 problem+json while the organization has no checkpoint", async () => {
    const t = await createTestOrg("c2none");
    const res = await getNote((await sessionCookie(t.users.auditor.id)).cookie, t.org.slug);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect((await res.json()).detail).toContain("no checkpoint yet");
  });
});

describe("GET /api/v1/audit/verifier-keys", () => {
  it("names every key for this organization's origin, in the form note.NewVerifier reads", async () => {
    const res = await call(KEYS, { cookie: auditor, org: a.org.slug, path: "/api/v1/audit/verifier-keys" });
    expect(res.status).toBe(200);
    expect(res.json.origin).toBe(`localhost:3999/audit/${a.org.id}`);
    for (const k of res.json.keys) {
      expect(k.verifier_key).toMatch(
        new RegExp(`^localhost:3999/audit/${a.org.id}\\+${k.key_hash}\\+[A-Za-z0-9+/]{44}$`),
      );
      expect(k).toMatchObject({ key_id: expect.stringMatching(/^[0-9a-f]{16}$/), status: expect.any(String) });
    }
  });

  it("401, 403 for a viewer, 404 for another organization", async () => {
    expect((await call(KEYS, { org: a.org.slug, path: "/api/v1/audit/verifier-keys" })).status).toBe(401);
    const viewer = (await sessionCookie(a.users.viewer.id)).cookie;
    expect((await call(KEYS, { cookie: viewer, org: a.org.slug, path: "/api/v1/audit/verifier-keys" })).status).toBe(
      403,
    );
    expect((await call(KEYS, { cookie: auditor, org: b.org.slug, path: "/api/v1/audit/verifier-keys" })).status).toBe(
      404,
    );
  });
});

describe("Merkle proofs checked by Go's sumdb/tlog", () => {
  it("the API's consistency proofs pass tlog.CheckTree; a forged root fails it", async () => {
    for (const [from, to] of [
      [1, 300],
      [7, 300],
      [64, 256],
      [255, 257],
      [300, 300],
    ] as const) {
      const res = await call(CONSISTENCY, {
        cookie: auditor,
        org: a.org.slug,
        path: `/api/v1/audit/consistency?from=${from}&to=${to}`,
      });
      expect(res.status).toBe(200);
      const args = [String(from), res.json.from.root_hash, String(to), res.json.to.root_hash, ...res.json.proof];
      expect(runGoChecker(go, ["tree", ...args]).ok, `${from} -> ${to}`).toBe(true);
      const forged = createHash("sha256").update("x").digest("hex");
      expect(
        runGoChecker(go, ["tree", String(from), forged, String(to), res.json.to.root_hash, ...res.json.proof]).ok,
      ).toBe(false);
    }
  });

  it("Go refuses a proof from the empty tree, as verifyConsistencyProof and the API do", async () => {
    const root = MerkleTree.fromLeafHashes([hashLeaf(Buffer.from("x"))]).rootHex;
    const empty = createHash("sha256").update("").digest("hex");
    expect(runGoChecker(go, ["tree", "0", empty, "1", root]).ok).toBe(false);
    const res = await call(CONSISTENCY, { cookie: auditor, org: a.org.slug, path: "/api/v1/audit/consistency?from=0" });
    expect(res.status).toBe(422);
  });

  it("inclusion proofs pass tlog.CheckRecord", async () => {
    const hashes = (
      await owner().query(`SELECT hash FROM audit_events WHERE org_id = $1 ORDER BY seq LIMIT 300`, [a.org.id])
    ).rows.map((r: { hash: string }) => r.hash);
    const tree = MerkleTree.fromEventHashes(hashes);
    for (const i of [0, 1, 127, 255, 256, 299]) {
      const leaf = tree.leafHash(i).toString("hex");
      const proof = tree.inclusionProof(i).map((p) => p.toString("hex"));
      expect(runGoChecker(go, ["record", String(i), leaf, "300", tree.rootHex, ...proof]).ok, `leaf ${i}`).toBe(true);
      expect(runGoChecker(go, ["record", String(i === 0 ? 1 : i - 1), leaf, "300", tree.rootHex, ...proof]).ok).toBe(
        false,
      );
    }
  });
});
