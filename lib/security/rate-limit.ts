import { Redis } from "ioredis";
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from "rate-limiter-flexible";
import { env } from "../env";
import { infrastructurePool } from "../db/client";
import { metrics } from "../metrics";
import { sha256Hex } from "./hash";

/**
 * Rate limiting with rate-limiter-flexible. Counters live in Postgres (the
 * rate_limits table, shared by every app instance) by default, and in Redis
 * when REDIS_URL is set. Keys are hashed: no email or IP is stored in clear.
 */
export type LimiterSpec = { keyPrefix: string; points: number; durationSeconds: number };
export type Store = "postgres" | "redis";

let redis: Redis | undefined;
function redisClient(url: string): Redis {
  redis ??= new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  return redis;
}

/** Waits (briefly) for the Redis connection on first use, so boot does not fall back needlessly. */
async function redisReady(): Promise<void> {
  const client = redis;
  if (!client || client.status === "ready") return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, 1000);
    client.once("ready", done);
  });
}

export function defaultStore(): Store {
  return env().REDIS_URL ? "redis" : "postgres";
}

const limiters = new Map<string, RateLimiterAbstract>();

export function limiterFor(spec: LimiterSpec, store: Store = defaultStore()): RateLimiterAbstract {
  const cacheKey = `${store}:${spec.keyPrefix}:${spec.points}:${spec.durationSeconds}`;
  let l = limiters.get(cacheKey);
  if (!l) {
    // If the shared store fails (database or Redis down), each instance keeps
    // limiting on its own in memory rather than failing every request.
    const insuranceLimiter = new RateLimiterMemory({
      keyPrefix: spec.keyPrefix,
      points: spec.points,
      duration: spec.durationSeconds,
    });
    const common = { keyPrefix: spec.keyPrefix, points: spec.points, duration: spec.durationSeconds, insuranceLimiter };
    l =
      store === "redis"
        ? new RateLimiterRedis({ ...common, storeClient: redisClient(env().REDIS_URL!), rejectIfRedisNotReady: true })
        : new RateLimiterPostgres({
            ...common,
            storeClient: infrastructurePool(),
            storeType: "pool",
            tableName: "rate_limits",
            tableCreated: true,
            clearExpiredByTimeout: true,
          });
    limiters.set(cacheKey, l);
  }
  return l;
}

export type LimitState = {
  limited: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
  /** Points counted in this window so far, this request included. */
  consumed?: number;
};

function toState(spec: LimiterSpec, res: RateLimiterRes | null, limited: boolean): LimitState {
  const consumed = res?.consumedPoints ?? 0;
  return {
    limited,
    limit: spec.points,
    remaining: Math.max(0, spec.points - consumed),
    resetSeconds: res ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : spec.durationSeconds,
    consumed,
  };
}

const hashKey = (spec: LimiterSpec, raw: string) => sha256Hex(`${spec.keyPrefix}:${raw}`).slice(0, 48);

/** Counts one request; `limited` once the window's points are used up. */
export async function consume(spec: LimiterSpec, raw: string, store?: Store): Promise<LimitState> {
  if ((store ?? defaultStore()) === "redis") {
    limiterFor(spec, "redis");
    await redisReady();
  }
  try {
    const res = await limiterFor(spec, store).consume(hashKey(spec, raw), 1);
    metrics().rateLimitDecisions.inc({ limiter: spec.keyPrefix, result: "allowed" });
    return toState(spec, res, false);
  } catch (e) {
    if (e instanceof RateLimiterRes) {
      metrics().rateLimitDecisions.inc({ limiter: spec.keyPrefix, result: "limited" });
      return toState(spec, e, true);
    }
    throw e;
  }
}

/**
 * A failure counter for brute-force protection: `check` reads without
 * consuming, `fail` records one failure, `reset` clears after a success.
 */
export function failureCounter(spec: LimiterSpec) {
  return {
    async check(raw: string): Promise<LimitState & { retryAfterSeconds: number }> {
      const res = await limiterFor(spec).get(hashKey(spec, raw));
      const s = toState(spec, res, (res?.consumedPoints ?? 0) >= spec.points);
      return { ...s, retryAfterSeconds: s.resetSeconds };
    },
    async fail(raw: string): Promise<void> {
      await limiterFor(spec).penalty(hashKey(spec, raw), 1);
    },
    async reset(raw: string): Promise<void> {
      await limiterFor(spec).delete(hashKey(spec, raw));
    },
  };
}

/** Sign-in throttles: per account and per client address. */
export const signInByAccount = failureCounter({ keyPrefix: "signin-acct", points: 10, durationSeconds: 15 * 60 });
export const signInByIp = failureCounter({ keyPrefix: "signin-ip", points: 50, durationSeconds: 15 * 60 });

/**
 * RateLimit and RateLimit-Policy fields (draft-ietf-httpapi-ratelimit-headers),
 * plus Retry-After when limited. The tightest applicable limit is reported.
 */
export function rateLimitHeaders(
  states: { name: string; spec: LimiterSpec; state: LimitState }[],
): Record<string, string> {
  if (states.length === 0) return {};
  const policies = states.map((s) => `"${s.name}";q=${s.spec.points};w=${s.spec.durationSeconds}`).join(", ");
  const tightest = [...states].sort((x, y) =>
    x.state.limited === y.state.limited ? x.state.remaining - y.state.remaining : x.state.limited ? -1 : 1,
  )[0]!;
  const headers: Record<string, string> = {
    "RateLimit-Policy": policies,
    RateLimit: `"${tightest.name}";r=${tightest.state.remaining};t=${tightest.state.resetSeconds}`,
  };
  if (tightest.state.limited) headers["Retry-After"] = String(tightest.state.resetSeconds);
  return headers;
}
