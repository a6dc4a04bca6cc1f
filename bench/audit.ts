/**
 * Audit trail benchmark, for an organization holding N events (default
 * 100,000; BENCH_AUDIT_SIZES=100000,1000000 for both).
 *
 * Seeding: scripts/lib/seed-audit-events.ts appends N synthetic, correctly
 * chained events as the owner with multi-row INSERT … unnest (5,000 rows per
 * statement, hashes computed here with the app's own canonical JSON and
 * SHA-256), between two real approved actions made by the real pipeline: one
 * before the bulk (its events are deep in the log) and one after.
 *
 * Measured, in process against the bench database:
 *   - checkpoint: first (fills the Merkle cache over all N events) and next
 *     (after 1,000 more events: incremental);
 *   - proof pack export (GET /api/v1/proof-pack's domain function: cache fill,
 *     checkpoint, proofs, build, verify, zip, audit event), for both actions;
 *   - audit append throughput at that size: single-event transactions,
 *     sequential and with 8 concurrent writers (they serialise on the chain
 *     head by design), compared with an empty organization;
 *   - streaming export (JSONL and CSV) of the whole log: events/s, MB/s and
 *     the process's peak RSS growth;
 *   - full verification (GET /api/v1/audit/verify: chain + every checkpoint).
 * Nothing here asserts a target: the figures are printed and saved.
 */
import os from "node:os";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { decideApproval } from "../lib/approvals/decide-approval";
import { createAgent } from "../lib/agents/agents";
import { submitAction } from "../lib/actions/submit-action";
import { appendAuditEvent, appendAuditEvents } from "../lib/audit/append-event";
import { createCheckpoint } from "../lib/audit/create-checkpoint";
import { exportAuditEvents } from "../lib/exports/requests";
import { verifyAuditLog } from "../lib/audit/verify-audit-log";
import { closeDb } from "../lib/db/client";
import { withTenant } from "../lib/db/tenant";
import { createApiKey } from "../lib/keys/create-api-key";
import { verifyApiKey } from "../lib/keys/verify-api-key";
import { createOrganization } from "../lib/orgs/create-organization";
import { createPolicyDraft, publishPolicyVersion } from "../lib/policy/versions";
import { exportProofPack } from "../lib/proof-pack/export-proof-pack";
import { keyContext, type OrgContext } from "../lib/rbac/context";
import type { Role } from "../lib/rbac/permissions";
import { DEFAULT_OWNER_URL, withDatabase } from "../scripts/lib/db-admin";
import { seedAuditEvents } from "../scripts/lib/seed-audit-events";
import { benchMember, saveResult } from "./lib";
import type { AuditEventName } from "../lib/audit/event-names";

const SIZES = (process.env.BENCH_AUDIT_SIZES ?? "100000")
  .split(",")
  .map((s) => Number(s.trim()))
  .filter((n) => n > 0);
const APPEND_SECONDS = Number(process.env.BENCH_APPEND_SECONDS ?? 5);
const ownerUrl = withDatabase(
  process.env.DATABASE_URL ?? DEFAULT_OWNER_URL,
  process.env.BENCH_DATABASE ?? "warden_bench",
);
const owner = new pg.Pool({ connectionString: ownerUrl, max: 2 });

const ms = (t0: number) => performance.now() - t0;
const fmtMs = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`);
const fmtRate = (v: number) => `${Math.round(v).toLocaleString("en-US")}/s`;

type Org = { id: string; slug: string; users: Record<Role, string>; contexts: Record<Role, OrgContext> };

async function newOrg(tag: string): Promise<Org> {
  const slug = `bench-${tag}-${Date.now().toString(36)}`;
  const org = await createOrganization({ slug, name: `Bench ${tag}` });
  const users = {} as Record<Role, string>;
  const contexts = {} as Record<Role, OrgContext>;
  for (const role of ["admin", "approver", "auditor", "viewer"] as Role[]) {
    const m = await benchMember(org, role);
    users[role] = m.userId;
    contexts[role] = m.ctx;
  }
  return { id: org.id, slug, users, contexts };
}

/** Agent, bound key, a policy that needs one approval for "pay". Returns a function making an approved action. */
async function firewall(org: Org): Promise<() => Promise<string>> {
  const admin = org.contexts.admin;
  const draft = await createPolicyDraft(admin, {
    rules: [
      {
        name: "payments need approval",
        condition: 'operation == "pay"',
        effect: "require_approval",
        risk_level: "high",
      },
      { name: "nothing else", condition: "true", effect: "deny" },
    ],
  });
  await publishPolicyVersion(admin, draft.version);
  const agent = await createAgent(admin, {
    slug: "bench-agent",
    name: "Bench agent",
    environment: "production",
    tools: { allowed: ["payments"] },
  });
  const key = await createApiKey(
    admin,
    {
      name: "bench agent key",
      environment: "live",
      scopes: ["actions:submit", "actions:read"],
      agent_id: agent.id,
      rate_limit_per_minute: 100_000,
    },
    null,
  );
  return async () => {
    const v = await verifyApiKey(key.token, { ip: "127.0.0.1", permission: "actions:submit" });
    if (v.status !== "valid" || !v.key) throw new Error(`key: ${v.status}`);
    const ctx = keyContext({
      requestId: "bench",
      ip: "127.0.0.1",
      userAgent: "bench",
      principal: { kind: "api_key", key: v.key },
      org: { id: org.id, slug: org.slug, name: "Bench" },
    });
    const r = await submitAction(
      ctx,
      { tool: "payments", operation: "pay", params: { amount: 42, to: "acct_bench" } },
      null,
    );
    await decideApproval(org.contexts.approver, r.body.approval!.id, "approved", { reason: "bench" });
    return r.body.id;
  };
}

/** The floor: the same transaction shape (BEGIN, tenant settings, one INSERT, COMMIT) on a table with no chain. */
async function floorThroughput(orgId: string, seconds: number): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  const t0 = performance.now();
  while (performance.now() < deadline) {
    await withTenant({ orgId }, (tx) => tx.benchFloor.create({ data: {} }));
    count += 1;
  }
  return count / ((performance.now() - t0) / 1000);
}

/** Events per second when each transaction appends a batch of 100 (hashing and inserting in one statement). */
async function batchedAppendThroughput(orgId: string, seconds: number): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  const t0 = performance.now();
  while (performance.now() < deadline) {
    const batch = Array.from({ length: 100 }, (_, i) => ({
      orgId,
      actor: { type: "system" as const, id: null },
      action: "bench.append_batch" as AuditEventName,
      target: { type: "bench", id: null },
      data: { n: count + i },
    }));
    await withTenant({ orgId }, (tx) => appendAuditEvents(tx, batch));
    count += batch.length;
  }
  return count / ((performance.now() - t0) / 1000);
}

async function appendThroughput(orgId: string, concurrency: number, seconds: number): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await withTenant({ orgId }, (tx) =>
        appendAuditEvent(tx, {
          orgId,
          actor: { type: "system", id: null },
          action: "bench.append" as AuditEventName,
          target: { type: "bench", id: null },
          data: { n: count },
        }),
      );
      count += 1;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return count / ((performance.now() - t0) / 1000);
}

async function exportRate(ctx: OrgContext, format: "jsonl" | "csv") {
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const t0 = performance.now();
  const requested = await exportAuditEvents(ctx, { format }, null);
  if ("pending" in requested) throw new Error("the bench organization has an export approval rule");
  const out = requested.stream;
  const reader = out.body.getReader();
  let bytes = 0;
  let lines = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    for (const b of value) if (b === 10) lines += 1;
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  const seconds = ms(t0) / 1000;
  const events = format === "csv" ? lines - 1 : lines;
  return {
    events,
    bytes,
    seconds,
    events_per_second: events / seconds,
    mb_per_second: bytes / 1e6 / seconds,
    rss_growth_mb: (peak - rssBefore) / 1e6,
  };
}

async function runSize(n: number) {
  console.log(`\n== Organization with ${n.toLocaleString("en-US")} events ==`);
  const org = await newOrg(String(n));
  const approvedAction = await firewall(org);
  const early = await approvedAction();

  let t0 = performance.now();
  let last = 0;
  await seedAuditEvents(owner, org.id, n, {
    onProgress: (done) => {
      if (done - last >= 100_000 || done === n) {
        last = done;
        process.stdout.write(`\r  seeding… ${done.toLocaleString("en-US")}`);
      }
    },
  });
  const seedMs = ms(t0);
  console.log(
    `\r  seeded ${n.toLocaleString("en-US")} chained events in ${fmtMs(seedMs)} (${fmtRate(n / (seedMs / 1000))})`,
  );
  await owner.query("ANALYZE audit_events");
  // Flush the seed's writes now, so the figures below do not pay for them.
  await owner
    .query("CHECKPOINT")
    .catch(() =>
      console.log("  (CHECKPOINT not permitted for this role; the first figures may include the seed's I/O)"),
    );
  const late = await approvedAction();
  const auditor = org.contexts.auditor;

  t0 = performance.now();
  const cp1 = await createCheckpoint(auditor);
  const checkpointCold = ms(t0);
  console.log(
    `  checkpoint, cold cache (fills the Merkle cache over ${cp1.tree_size.toLocaleString("en-US")} events): ${fmtMs(checkpointCold)}`,
  );

  const packs: Record<string, number> = {};
  for (const [label, id] of [
    ["proof pack, action deep in the log", early],
    ["proof pack, action at the tail", late],
    ["proof pack, same action again", late],
  ] as const) {
    t0 = performance.now();
    const pack = await exportProofPack(auditor, id, async () => ({}));
    packs[label] = ms(t0);
    console.log(
      `  ${label}: ${fmtMs(packs[label]!)} (${pack.zip.length.toLocaleString("en-US")} bytes, checkpoint #${pack.checkpoint.tree_size})`,
    );
  }

  await seedAuditEvents(owner, org.id, 1000);
  t0 = performance.now();
  await createCheckpoint(auditor);
  const checkpointWarm = ms(t0);
  console.log(`  checkpoint after 1,000 more events (incremental): ${fmtMs(checkpointWarm)}`);

  // The floor again, now: on a shared machine commit latency drifts, and the
  // append figures only mean something next to it.
  const floorNow = await floorThroughput(org.id, APPEND_SECONDS);
  const seq1 = await appendThroughput(org.id, 1, APPEND_SECONDS);
  const seq8 = await appendThroughput(org.id, 8, APPEND_SECONDS);
  const batched = await batchedAppendThroughput(org.id, APPEND_SECONDS);
  console.log(
    `  audit append: ${fmtRate(seq1)} sequential, ${fmtRate(seq8)} with 8 concurrent writers (one event per transaction); ${fmtRate(batched)} events in transactions of 100; floor now ${fmtRate(floorNow)}`,
  );

  const jsonl = await exportRate(auditor, "jsonl");
  console.log(
    `  streaming export JSONL: ${jsonl.events.toLocaleString("en-US")} events, ${(jsonl.bytes / 1e6).toFixed(0)} MB in ${jsonl.seconds.toFixed(1)} s = ${fmtRate(jsonl.events_per_second)} (${jsonl.mb_per_second.toFixed(1)} MB/s), peak RSS growth ${jsonl.rss_growth_mb.toFixed(0)} MB`,
  );
  const csv = await exportRate(auditor, "csv");
  console.log(
    `  streaming export CSV:   ${csv.events.toLocaleString("en-US")} events, ${(csv.bytes / 1e6).toFixed(0)} MB in ${csv.seconds.toFixed(1)} s = ${fmtRate(csv.events_per_second)} (${csv.mb_per_second.toFixed(1)} MB/s), peak RSS growth ${csv.rss_growth_mb.toFixed(0)} MB`,
  );

  t0 = performance.now();
  const verified = await verifyAuditLog(auditor);
  const verifyMs = ms(t0);
  console.log(
    `  full verification (chain + ${verified.checkpoints.total} checkpoints): ${fmtMs(verifyMs)}, chain ${verified.chain.ok ? "ok" : "BROKEN"}, ${verified.checkpoints.verified}/${verified.checkpoints.total} checkpoints verified`,
  );

  return {
    events: n,
    seed_ms: seedMs,
    checkpoint_cold_ms: checkpointCold,
    checkpoint_incremental_ms: checkpointWarm,
    proof_pack_ms: packs,
    append_per_second: {
      sequential: seq1,
      concurrent_8: seq8,
      batches_of_100: batched,
      floor_write_transactions: floorNow,
    },
    export: { jsonl, csv },
    verify_ms: verifyMs,
  };
}

async function main() {
  console.log(
    `Audit benchmark on ${ownerUrl.replace(/\/\/[^@]*@/, "//")} (sizes: ${SIZES.join(", ")}; ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)})`,
  );
  const baseline = await newOrg("empty");
  const floor = await floorThroughput(baseline.id, APPEND_SECONDS);
  const b1 = await appendThroughput(baseline.id, 1, APPEND_SECONDS);
  const b8 = await appendThroughput(baseline.id, 8, APPEND_SECONDS);
  const bb = await batchedAppendThroughput(baseline.id, APPEND_SECONDS);
  console.log(
    `\nFloor: ${fmtRate(floor)} one-row write transactions (sequential; commit latency bounds every figure below)`,
  );
  console.log(
    `Baseline, a new organization: audit append ${fmtRate(b1)} sequential, ${fmtRate(b8)} with 8 concurrent writers; ${fmtRate(bb)} events in transactions of 100`,
  );
  const results = [];
  for (const n of SIZES) results.push(await runSize(n));
  const file = saveResult("audit", {
    floor_write_transactions_per_second: floor,
    baseline_append_per_second: { sequential: b1, concurrent_8: b8, batches_of_100: bb },
    sizes: results,
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      node: process.version,
      load_average_at_end: os.loadavg(),
    },
  });
  console.log(`\n  saved ${file}`);
}

main()
  .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(async () => {
    await owner.end();
    await closeDb();
  });
