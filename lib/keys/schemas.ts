import { z } from "zod";
import { PERMISSIONS } from "../rbac/permissions";
import { isoDateTime } from "../validation";
import { normaliseCidr } from "./ip-allowlist";

export const MAX_KEY_LIFETIME_DAYS = 730;
export const MAX_GRACE_SECONDS = 7 * 24 * 60 * 60;

const scopeSchema = z.string().refine((s) => (PERMISSIONS as readonly string[]).includes(s), {
  message: `Unknown scope. Known scopes: ${PERMISSIONS.join(", ")}`,
});

const cidrSchema = z
  .string()
  .max(64)
  .transform((s, ctx) => {
    const n = normaliseCidr(s);
    if (!n) {
      ctx.addIssue({ code: "custom", message: `Not an IPv4/IPv6 address or CIDR: ${s.slice(0, 64)}` });
      return z.NEVER;
    }
    return n;
  });

export const createApiKeySchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    environment: z.enum(["live", "test"]).default("live"),
    scopes: z.array(scopeSchema).min(1).max(32),
    expires_at: isoDateTime()
      .nullish()
      .transform((v) => v ?? null),
    ip_allowlist: z.array(cidrSchema).max(64).default([]),
    rate_limit_per_minute: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .nullish()
      .transform((v) => v ?? null),
    /** Binds the key to an agent: actions submitted with it are that agent's. */
    agent_id: z
      .uuid()
      .nullish()
      .transform((v) => v ?? null),
  })
  .superRefine((v, ctx) => {
    // Refinements run even when a field already failed; only judge a parsed date.
    if (!(v.expires_at instanceof Date)) return;
    if (v.expires_at.getTime() <= Date.now()) {
      ctx.addIssue({ code: "custom", path: ["expires_at"], message: "The expiry must be in the future" });
    }
    if (v.expires_at.getTime() > Date.now() + MAX_KEY_LIFETIME_DAYS * 86_400_000) {
      ctx.addIssue({ code: "custom", path: ["expires_at"], message: `At most ${MAX_KEY_LIFETIME_DAYS} days ahead` });
    }
  })
  .superRefine((v, ctx) => {
    if (Array.isArray(v.scopes) && new Set(v.scopes).size !== v.scopes.length) {
      ctx.addIssue({ code: "custom", path: ["scopes"], message: "Scopes must not repeat" });
    }
  });

export type CreateApiKeyInput = z.output<typeof createApiKeySchema>;

export const rotateApiKeySchema = z.object({
  grace_period_seconds: z.number().int().min(0).max(MAX_GRACE_SECONDS),
});

export const emergencyRevokeSchema = z.object({
  reason: z.string().trim().min(3).max(500),
});

export const apiKeyParamsSchema = z.object({ id: z.uuid() });
