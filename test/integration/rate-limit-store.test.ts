import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";

// Exercise both stores in one process: Postgres (default) and Redis (REDIS_URL).
process.env.REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

import { closeDb } from "@/lib/db/client";
import { consume, rateLimitHeaders, type Store } from "@/lib/security/rate-limit";
import { closeOwner, owner } from "../helpers/db";

const redis = new Redis(process.env.REDIS_URL);
afterAll(async () => {
  redis.disconnect();
  await closeOwner();
  await closeDb();
});

/** Proves the counters went to the store under test, not to the in-memory fallback. */
async function storedKeys(store: Store, prefix: string): Promise<number> {
  if (store === "redis") return (await redis.keys(`${prefix}:*`)).length;
  return (await owner().query(`SELECT count(*)::int AS n FROM rate_limits WHERE key LIKE $1`, [`${prefix}:%`])).rows[0]
    .n;
}

describe.each<Store>(["postgres", "redis"])("rate limiting in %s", (store) => {
  it("allows the window's points, then limits, per key", async () => {
    const spec = { keyPrefix: `t-${randomUUID().slice(0, 8)}`, points: 3, durationSeconds: 60 };
    const states = [];
    for (let i = 0; i < 4; i++) states.push(await consume(spec, "key-1", store));
    expect(states.map((s) => s.limited)).toEqual([false, false, false, true]);
    expect(states.map((s) => s.remaining)).toEqual([2, 1, 0, 0]);
    expect(states[3]!.resetSeconds).toBeGreaterThan(0);
    expect((await consume(spec, "key-2", store)).limited).toBe(false);
    expect(await storedKeys(store, spec.keyPrefix)).toBe(2);
  });

  it("counts concurrent requests exactly (no lost updates)", async () => {
    const spec = { keyPrefix: `c-${randomUUID().slice(0, 8)}`, points: 20, durationSeconds: 60 };
    const results = await Promise.all(Array.from({ length: 30 }, () => consume(spec, "k", store)));
    expect(results.filter((r) => !r.limited)).toHaveLength(20);
  });
});

describe("RateLimit headers", () => {
  it("report the policies and the tightest remaining budget", () => {
    const h = rateLimitHeaders([
      {
        name: "key",
        spec: { keyPrefix: "k", points: 10, durationSeconds: 60 },
        state: { limited: false, limit: 10, remaining: 7, resetSeconds: 30 },
      },
      {
        name: "organization",
        spec: { keyPrefix: "o", points: 100, durationSeconds: 60 },
        state: { limited: false, limit: 100, remaining: 2, resetSeconds: 10 },
      },
    ]);
    expect(h["RateLimit-Policy"]).toBe('"key";q=10;w=60, "organization";q=100;w=60');
    expect(h.RateLimit).toBe('"organization";r=2;t=10');
    expect(h["Retry-After"]).toBeUndefined();
  });
});
