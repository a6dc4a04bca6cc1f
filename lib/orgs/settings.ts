import { z } from "zod";
import { appendAuditEvent } from "../audit/append-event";
import { parseCidrList } from "../connectors/address-policy";
import { parseDomainAllowlist } from "../connectors/domain-allowlist";
import { withTenant } from "../db/tenant";
import { AppError, type FieldError } from "../errors";
import { parseOr422 } from "../validation";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { DEFAULT_SENSITIVE_KEYS } from "../security/redact";

export type OrgSettings = {
  name: string;
  slug: string;
  session_idle_timeout_seconds: number;
  session_absolute_timeout_seconds: number;
  /** Parameter names redacted in addition to the built-in list. */
  sensitive_keys: string[];
  default_sensitive_keys: readonly string[];
  /** Hosts the http_proxy connector may call (exact, or *.domain for subdomains). */
  http_allowed_domains: string[];
  /** Private address ranges explicitly opened to http_proxy (for internal services). */
  http_allowed_private_cidrs: string[];
  /** Days action parameters and results are kept; null keeps them. */
  payload_retention_days: number | null;
};

export const updateSettingsSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    session_idle_timeout_seconds: z.number().int().min(60).max(86_400).optional(),
    session_absolute_timeout_seconds: z.number().int().min(300).max(2_592_000).optional(),
    sensitive_keys: z
      .array(
        z
          .string()
          .trim()
          .min(1)
          .max(64)
          .regex(/^[A-Za-z0-9_.-]+$/),
      )
      .max(100)
      .optional(),
    http_allowed_domains: z.array(z.string().trim().min(1).max(253)).max(500).optional(),
    http_allowed_private_cidrs: z.array(z.string().trim().min(1).max(64)).max(50).optional(),
    payload_retention_days: z.number().int().min(1).max(3650).nullable().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, "Nothing to change");

export async function getOrgSettings(ctx: OrgContext): Promise<OrgSettings> {
  assertCan(ctx, "org:admin");
  return withTenant(tenantOf(ctx), async (tx) =>
    toSettings(await tx.organization.findUniqueOrThrow({ where: { id: ctx.org.id } })),
  );
}

function toSettings(o: {
  name: string;
  slug: string;
  sessionIdleTimeoutSeconds: number;
  sessionAbsoluteTimeoutSeconds: number;
  sensitiveKeys: string[];
  httpAllowedDomains: string[];
  httpAllowedPrivateCidrs: string[];
  payloadRetentionDays: number | null;
}): OrgSettings {
  return {
    name: o.name,
    slug: o.slug,
    session_idle_timeout_seconds: o.sessionIdleTimeoutSeconds,
    session_absolute_timeout_seconds: o.sessionAbsoluteTimeoutSeconds,
    sensitive_keys: o.sensitiveKeys,
    default_sensitive_keys: DEFAULT_SENSITIVE_KEYS,
    http_allowed_domains: o.httpAllowedDomains,
    http_allowed_private_cidrs: o.httpAllowedPrivateCidrs,
    payload_retention_days: o.payloadRetentionDays,
  };
}

/**
 * Both allowlists checked at once, with errors under this API's own field
 * names (the parsers name their connector options), so a form can put each
 * message next to the entry it is about.
 */
function checkAllowlists(domains: string[] | undefined, cidrs: string[] | undefined): void {
  const errors: FieldError[] = [];
  const collect = (fn: () => unknown, from: string, to: string) => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof AppError) || !e.errors) throw e;
      for (const f of e.errors)
        errors.push({ ...f, path: f.path.startsWith(`${from}.`) ? `${to}${f.path.slice(from.length)}` : to });
    }
  };
  if (domains) collect(() => parseDomainAllowlist(domains), "allowDomains", "http_allowed_domains");
  if (cidrs) collect(() => parseCidrList(cidrs), "allowPrivateCidrs", "http_allowed_private_cidrs");
  if (errors.length > 0) throw new AppError("validation_failed", "The outbound allowlists are invalid", { errors });
}

/** Admin-only; every change is audited with its before and after values. */
export async function updateOrgSettings(ctx: OrgContext, raw: unknown): Promise<OrgSettings> {
  assertCan(ctx, "org:admin");
  const input = parseOr422(updateSettingsSchema, raw);
  checkAllowlists(input.http_allowed_domains, input.http_allowed_private_cidrs);
  return withTenant(tenantOf(ctx), async (tx) => {
    const before = toSettings(await tx.organization.findUniqueOrThrow({ where: { id: ctx.org.id } }));
    const idle = input.session_idle_timeout_seconds ?? before.session_idle_timeout_seconds;
    const absolute = input.session_absolute_timeout_seconds ?? before.session_absolute_timeout_seconds;
    if (idle > absolute) {
      throw new AppError("validation_failed", "The idle timeout cannot exceed the absolute timeout", {
        errors: [{ path: "session_idle_timeout_seconds", message: "must not exceed the absolute timeout" }],
      });
    }
    const after = toSettings(
      await tx.organization.update({
        where: { id: ctx.org.id },
        data: {
          name: input.name,
          sessionIdleTimeoutSeconds: input.session_idle_timeout_seconds,
          sessionAbsoluteTimeoutSeconds: input.session_absolute_timeout_seconds,
          sensitiveKeys: input.sensitive_keys ? [...new Set(input.sensitive_keys)] : undefined,
          httpAllowedDomains: input.http_allowed_domains
            ? [...new Set(input.http_allowed_domains.map((d) => d.toLowerCase()))]
            : undefined,
          httpAllowedPrivateCidrs: input.http_allowed_private_cidrs
            ? [...new Set(input.http_allowed_private_cidrs)]
            : undefined,
          payloadRetentionDays: input.payload_retention_days,
          updatedAt: new Date(),
        },
      }),
    );
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const k of Object.keys(input) as (keyof OrgSettings)[]) {
      if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) changes[k] = { from: before[k], to: after[k] };
    }
    if (Object.keys(changes).length > 0) {
      await appendAuditEvent(tx, {
        orgId: ctx.org.id,
        actor: actorOf(ctx),
        action: "org.settings_updated",
        target: { type: "organization", id: ctx.org.id },
        ip: ctx.ip,
        data: { changes },
      });
    }
    return after;
  });
}
