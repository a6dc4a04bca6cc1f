import { randomUUID } from "node:crypto";
import { appendAuditEvent } from "../audit/append-event";
import { requireOrgStepUp } from "../auth/step-up";
import { withTenant, type Tx } from "../db/tenant";
import { AppError } from "../errors";
import { parseOr422 } from "../validation";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";
import type { Permission } from "../rbac/permissions";
import { generateApiKey } from "./format";
import { createApiKeySchema, type CreateApiKeyInput } from "./schemas";
import { keyViewInclude, toKeyView, type ApiKeyView } from "./view";

export type CreatedKey = {
  key: ApiKeyView;
  /** The full key: returned once, never stored, never shown again. */ token: string;
};

/** A key can never hold more than its creator holds at creation time. */
export function assertScopesWithin(ctx: OrgContext, scopes: readonly string[]): void {
  const beyond = scopes.filter((s) => !ctx.permissions.has(s as Permission));
  if (beyond.length > 0) {
    throw new AppError("forbidden", `You cannot grant scopes you do not hold: ${beyond.join(", ")}`, {
      errors: [{ path: "scopes", message: `Beyond your permissions: ${beyond.join(", ")}` }],
    });
  }
}

/**
 * An agent binding must name an agent of this organization (read through the
 * tenant transaction), and the key's environment must match the agent's:
 * test keys drive development agents, live keys production agents.
 */
async function assertAgentBinding(tx: Tx, ctx: OrgContext, input: CreateApiKeyInput): Promise<void> {
  if (!input.agent_id) return;
  const agent = await tx.agent.findUnique({ where: { orgId_id: { orgId: ctx.org.id, id: input.agent_id } } });
  if (!agent)
    throw new AppError("validation_failed", "The key's agent does not exist", {
      errors: [{ path: "agent_id", message: "No such agent in this organization" }],
    });
  const expected = agent.environment === "production" ? "live" : "test";
  if (input.environment !== expected) {
    throw new AppError(
      "validation_failed",
      `Agent "${agent.slug}" runs in ${agent.environment}: bind a ${expected} key`,
      {
        errors: [{ path: "environment", message: `A ${agent.environment} agent needs a ${expected} key` }],
      },
    );
  }
}

/**
 * The person a new key acts for: the signed-in creator, or, for a key made by
 * a key, the person that key acts for. Keys are never made for nobody: a key
 * without a person behind it would be refused on every request.
 */
function onBehalfOf(ctx: OrgContext): string {
  const userId =
    ctx.principal.kind === "user"
      ? ctx.principal.user.userId
      : ctx.principal.kind === "api_key"
        ? ctx.principal.key.createdByUserId
        : null;
  if (!userId) throw new Error("API keys are created by a person, or by a key acting for one");
  return userId;
}

export async function insertApiKey(tx: Tx, ctx: OrgContext, input: CreateApiKeyInput): Promise<CreatedKey> {
  const createdByUserId = onBehalfOf(ctx);
  await assertAgentBinding(tx, ctx, input);
  const id = randomUUID();
  const generated = generateApiKey(id, input.environment);
  const row = await tx.apiKey.create({
    data: {
      id,
      orgId: ctx.org.id,
      environment: input.environment,
      secretHash: generated.secretHash,
      last4: generated.last4,
      name: input.name,
      scopes: input.scopes,
      ipAllowlist: input.ip_allowlist,
      rateLimitPerMinute: input.rate_limit_per_minute,
      agentId: input.agent_id,
      expiresAt: input.expires_at,
      createdByUserId,
      createdByKeyId: ctx.principal.kind === "api_key" ? ctx.principal.key.id : null,
    },
    include: keyViewInclude(ctx.org.id),
  });
  return { key: toKeyView(row), token: generated.token };
}

/**
 * Creating a key needs the person's step-up (keys.create) when they have a
 * second factor; a key creating a key does not (lib/auth/step-up.ts
 * requireOrgStepUp, docs/ARCHITECTURE.md "Step-up").
 */
export async function createApiKey(ctx: OrgContext, raw: unknown, stepUpId: string | null): Promise<CreatedKey> {
  assertCan(ctx, "keys:write");
  const input = parseOr422(createApiKeySchema, raw);
  assertScopesWithin(ctx, input.scopes);
  return withTenant(tenantOf(ctx), async (tx) => {
    const stepUp = await requireOrgStepUp(tx, ctx, stepUpId, "keys.create");
    const created = await insertApiKey(tx, ctx, input);
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "api_key.created",
      target: { type: "api_key", id: created.key.id },
      ip: ctx.ip,
      data: {
        name: input.name,
        environment: input.environment,
        scopes: input.scopes,
        expires_at: input.expires_at?.toISOString() ?? null,
        ip_allowlist: input.ip_allowlist,
        rate_limit_per_minute: input.rate_limit_per_minute,
        agent_id: input.agent_id,
        prefix: created.key.prefix,
        step_up: stepUp?.method ?? null,
      },
    });
    return created;
  });
}
