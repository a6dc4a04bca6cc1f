import { afterAll, describe, expect, it } from "vitest";
import { createScheduledCheckpoint } from "@/lib/audit/create-checkpoint";
import { listJobRuns } from "@/lib/db/jobs";
import { runTickIfClaimed } from "@/lib/jobs/scheduler";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, uniqueSlug } from "../helpers/fixtures";
import { seedEvents } from "../helpers/audit";

afterAll(closeOwner);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const INSTANCES = ["instance-a", "instance-b", "instance-c"];

/**
 * Plays three app instances in one process: each tries the current tick every
 * `pollMs` until `untilMs` has passed, as the scheduler's loop would (more
 * eagerly, to make races likely). Returns the ticks each instance ran.
 */
async function race(job: { name: string; everyMs: number; run: () => Promise<unknown> }, untilMs: number, pollMs = 50) {
  const ran: { instance: string; tick: number }[] = [];
  const deadline = Date.now() + untilMs;
  await Promise.all(
    INSTANCES.map(async (instance) => {
      while (Date.now() < deadline) {
        const r = await runTickIfClaimed(job, instance);
        if (r.ran) ran.push({ instance, tick: r.tick });
        await sleep(Math.random() * pollMs);
      }
    }),
  );
  return ran;
}

describe("background jobs: once per tick across instances", () => {
  it("three instances racing for every tick run each tick at most once, and every run is recorded", async () => {
    const name = `t-${uniqueSlug("once")}`;
    let runs = 0;
    const ran = await race(
      {
        name,
        everyMs: 1000,
        run: async () => {
          runs += 1;
        },
      },
      4500,
    );
    const ticks = ran.map((r) => r.tick).sort((a, b) => a - b);
    // Under normal load every tick runs; an overloaded machine may let one pass, never run one twice.
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(runs).toBe(ticks.length);

    const recorded = await listJobRuns(name);
    expect(recorded.map((r) => r.tick).sort((a, b) => a - b)).toEqual(ticks);
    expect(recorded.every((r) => r.ok === true && r.finishedAt !== null && INSTANCES.includes(r.instance))).toBe(true);
  });

  it("a run never overlaps itself: a run longer than its tick makes the next ticks pass", async () => {
    const name = `t-${uniqueSlug("long")}`;
    let concurrent = 0;
    let maxConcurrent = 0;
    let runs = 0;
    const ran = await race(
      {
        name,
        everyMs: 1000,
        run: async () => {
          runs += 1;
          concurrent += 1;
          maxConcurrent = Math.max(maxConcurrent, concurrent);
          await sleep(2200);
          concurrent -= 1;
        },
      },
      6000,
    );
    expect(maxConcurrent).toBe(1);
    expect(runs).toBe(ran.length);
    expect(ran.length).toBeGreaterThanOrEqual(2);
    expect(ran.length).toBeLessThanOrEqual(3);
    const ticks = ran.map((r) => r.tick).sort((a, b) => a - b);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBeGreaterThanOrEqual(2);
  });

  it("a failed run is recorded with its error and the next tick runs again", async () => {
    const name = `t-${uniqueSlug("fail")}`;
    let calls = 0;
    const ran = await race(
      {
        name,
        everyMs: 1000,
        run: async () => {
          calls += 1;
          if (calls === 1) throw new Error("sweep exploded");
        },
      },
      2500,
    );
    expect(ran.length).toBeGreaterThanOrEqual(2);
    const recorded = (await listJobRuns(name)).sort((a, b) => a.tick - b.tick);
    expect(recorded[0]).toMatchObject({ ok: false, error: "sweep exploded" });
    expect(recorded.slice(1).every((r) => r.ok === true)).toBe(true);
  });

  it("a run whose instance died frees the job when its lease lapses, and is closed as failed", async () => {
    const name = `t-${uniqueSlug("dead")}`;
    // An instance claimed a tick long ago and vanished mid-run, its lease still live for a moment.
    await owner().query(
      `INSERT INTO job_runs (job, tick, instance, lease_until)
       VALUES ($1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint / 1000 - 5, 'gone', clock_timestamp() + interval '1 second')`,
      [name],
    );
    const job = { name, everyMs: 1000, run: async () => {} };
    expect((await runTickIfClaimed(job, "instance-a")).ran).toBe(false);
    await sleep(1100);
    expect((await runTickIfClaimed(job, "instance-a")).ran).toBe(true);
    const dead = (await listJobRuns(name)).find((r) => r.instance === "gone");
    expect(dead).toMatchObject({ ok: false, instance: "gone" });
    expect(dead?.error).toMatch(/lease lapsed/);
  });

  it("scheduled checkpoints: three instances make one checkpoint per tick, not one each", async () => {
    const t = await createTestOrg("jobcp");
    const name = `t-${uniqueSlug("cp")}`;
    let stop = false;
    // The log keeps growing, so the organization is due at every tick.
    const writer = (async () => {
      while (!stop) {
        await seedEvents(t.org.id, 3);
        await sleep(150);
      }
    })();
    const ran = await race({ name, everyMs: 1000, run: () => createScheduledCheckpoint(t.org.id) }, 4500);
    stop = true;
    await writer;
    const { rows } = await owner().query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_checkpoints WHERE org_id = $1 AND reason = 'scheduled'`,
      [t.org.id],
    );
    expect(ran.length).toBeGreaterThanOrEqual(3);
    expect(new Set(ran.map((r) => r.tick)).size).toBe(ran.length);
    // One checkpoint per claimed tick at most (a run finds nothing new if the writer fell
    // behind, or fails under load); three instances each checkpointing would make ~3 per tick.
    expect(rows[0]!.n).toBeGreaterThanOrEqual(2);
    expect(rows[0]!.n).toBeLessThanOrEqual(ran.length);
  });

  it("the app role may use job_runs but job names are constrained", async () => {
    await expect(
      owner().query(`INSERT INTO job_runs (job, tick, instance, lease_until) VALUES ('Bad Name', 1, 'x', now())`),
    ).rejects.toThrow(/check constraint/);
  });
});
