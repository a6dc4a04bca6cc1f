import { appendAuditEvent } from "../audit/append-event";
import type { Agent } from "../db/generated/client";
import { isUniqueViolation } from "../db/errors";
import { withTenant } from "../db/tenant";
import { AppError, notFound } from "../errors";
import { parseOr422 } from "../validation";
import { actorOf, assertCan, tenantOf, userIdOf, type OrgContext } from "../rbac/context";
import { readRegistries, type Environment, type Registries, type ToolRegistry } from "../policy";
import { createAgentSchema, updateAgentSchema } from "./schemas";

export type AgentView = {
  id: string;
  slug: string;
  name: string;
  environment: Environment;
  /** The registry in force (the one for the agent's environment). */
  tools: ToolRegistry;
  tools_by_environment: Registries;
  rate_limit_per_minute: number | null;
  daily_budget: number | null;
  disabled: boolean;
  created_at: string;
  updated_at: string;
};

export function toAgentView(a: Agent): AgentView {
  const registries = readRegistries(a.toolRegistry);
  return {
    id: a.id,
    slug: a.slug,
    name: a.name,
    environment: a.environment,
    tools: registries[a.environment],
    tools_by_environment: registries,
    rate_limit_per_minute: a.rateLimitPerMinute,
    daily_budget: a.dailyBudget,
    disabled: a.disabledAt !== null,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}

export async function listAgents(ctx: OrgContext): Promise<AgentView[]> {
  assertCan(ctx, "agents:read");
  return withTenant(tenantOf(ctx), async (tx) =>
    (await tx.agent.findMany({ where: { orgId: ctx.org.id }, orderBy: { slug: "asc" } })).map(toAgentView),
  );
}

export async function getAgent(ctx: OrgContext, slug: string): Promise<AgentView> {
  assertCan(ctx, "agents:read");
  return withTenant(tenantOf(ctx), async (tx) => {
    const a = await tx.agent.findUnique({ where: { orgId_slug: { orgId: ctx.org.id, slug } } });
    if (!a) throw notFound("Agent");
    return toAgentView(a);
  });
}

export async function createAgent(ctx: OrgContext, raw: unknown): Promise<AgentView> {
  assertCan(ctx, "agents:write");
  const input = parseOr422(createAgentSchema, raw);
  const registries = readRegistries(input.tools_by_environment ?? {});
  if (input.tools) registries[input.environment] = input.tools;
  try {
    return await withTenant(tenantOf(ctx), async (tx) => {
      const a = await tx.agent.create({
        data: {
          orgId: ctx.org.id,
          slug: input.slug,
          name: input.name,
          environment: input.environment,
          toolRegistry: registries,
          rateLimitPerMinute: input.rate_limit_per_minute ?? null,
          dailyBudget: input.daily_budget ?? null,
          createdByUserId: userIdOf(ctx),
        },
      });
      await appendAuditEvent(tx, {
        orgId: ctx.org.id,
        actor: actorOf(ctx),
        action: "agent.created",
        target: { type: "agent", id: a.id },
        ip: ctx.ip,
        data: {
          slug: a.slug,
          name: a.name,
          environment: a.environment,
          tools: registries,
          rate_limit_per_minute: a.rateLimitPerMinute,
          daily_budget: a.dailyBudget,
        },
      });
      return toAgentView(a);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("conflict", `An agent with the slug "${input.slug}" already exists`);
    throw e;
  }
}

export async function updateAgent(ctx: OrgContext, slug: string, raw: unknown): Promise<AgentView> {
  assertCan(ctx, "agents:write");
  const input = parseOr422(updateAgentSchema, raw);
  return withTenant(tenantOf(ctx), async (tx) => {
    const before = await tx.agent.findUnique({ where: { orgId_slug: { orgId: ctx.org.id, slug } } });
    if (!before) throw notFound("Agent");
    const environment = input.environment ?? before.environment;
    const registries = readRegistries(before.toolRegistry);
    if (input.tools_by_environment) {
      for (const env of ["development", "production"] as const) {
        const r = input.tools_by_environment[env];
        if (r) registries[env] = r;
      }
    }
    if (input.tools) registries[environment] = input.tools;
    const after = await tx.agent.update({
      where: { id: before.id },
      data: {
        name: input.name ?? undefined,
        environment,
        toolRegistry: registries,
        rateLimitPerMinute: input.rate_limit_per_minute === undefined ? undefined : input.rate_limit_per_minute,
        dailyBudget: input.daily_budget === undefined ? undefined : input.daily_budget,
        disabledAt:
          input.disabled === undefined ? undefined : input.disabled ? (before.disabledAt ?? new Date()) : null,
        updatedAt: new Date(),
      },
    });
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    const b = toAgentView(before);
    const a = toAgentView(after);
    for (const k of [
      "name",
      "environment",
      "tools_by_environment",
      "rate_limit_per_minute",
      "daily_budget",
      "disabled",
    ] as const) {
      if (JSON.stringify(b[k]) !== JSON.stringify(a[k])) changes[k] = { from: b[k], to: a[k] };
    }
    if (Object.keys(changes).length > 0) {
      await appendAuditEvent(tx, {
        orgId: ctx.org.id,
        actor: actorOf(ctx),
        action: "agent.updated",
        target: { type: "agent", id: after.id },
        ip: ctx.ip,
        data: { slug, changes },
      });
    }
    return a;
  });
}
