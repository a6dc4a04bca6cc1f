import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { infrastructurePool } from "../db/pool";
import { sha256Hex } from "./hash";

/**
 * Rate limiters backed by rate-limiter-flexible with state in Postgres (the
 * rate_limits table), so every app instance shares the same counters. Keys
 * are hashed: the table never holds an email or an IP in clear.
 */
type LimiterSpec = { keyPrefix: string; points: number; durationSeconds: number; blockSeconds?: number };

const limiters = new Map<string, RateLimiterPostgres>();

function limiter(spec: LimiterSpec): RateLimiterPostgres {
  let l = limiters.get(spec.keyPrefix);
  if (!l) {
    l = new RateLimiterPostgres({
      storeClient: infrastructurePool(),
      storeType: "pool",
      tableName: "rate_limits",
      tableCreated: true,
      keyPrefix: spec.keyPrefix,
      points: spec.points,
      duration: spec.durationSeconds,
      blockDuration: spec.blockSeconds ?? 0,
      clearExpiredByTimeout: true,
    });
    limiters.set(spec.keyPrefix, l);
  }
  return l;
}

export type LimitState = { limited: boolean; retryAfterSeconds: number; remaining: number; limit: number };

function toState(spec: LimiterSpec, res: RateLimiterRes | null): LimitState {
  if (!res) return { limited: false, retryAfterSeconds: 0, remaining: spec.points, limit: spec.points };
  const limited = res.consumedPoints >= spec.points;
  return {
    limited,
    retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    remaining: Math.max(0, spec.points - res.consumedPoints),
    limit: spec.points,
  };
}

/**
 * A failure counter: `check` reads without consuming, `fail` records one
 * failure, `reset` clears after a success. Used for brute-force protection,
 * where only failures should count.
 */
export function failureCounter(spec: LimiterSpec) {
  const key = (raw: string) => sha256Hex(`${spec.keyPrefix}:${raw}`).slice(0, 48);
  return {
    async check(raw: string): Promise<LimitState> {
      return toState(spec, await limiter(spec).get(key(raw)));
    },
    async fail(raw: string): Promise<LimitState> {
      try {
        return toState(spec, await limiter(spec).penalty(key(raw), 1));
      } catch (e) {
        if (e instanceof RateLimiterRes) return toState(spec, e);
        throw e;
      }
    },
    async reset(raw: string): Promise<void> {
      await limiter(spec).delete(key(raw));
    },
  };
}

/** Sign-in throttles: per account and per client address. */
export const signInByAccount = failureCounter({ keyPrefix: "signin-acct", points: 10, durationSeconds: 15 * 60 });
export const signInByIp = failureCounter({ keyPrefix: "signin-ip", points: 50, durationSeconds: 15 * 60 });
