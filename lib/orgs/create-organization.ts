import { randomUUID } from "node:crypto";
import { z } from "zod";
import { appendAuditEvent } from "../audit/append-event";
import { isUniqueViolation } from "../db/errors";
import { withTenant } from "../db/tenant";
import { AppError } from "../errors";
import { parseOr422 } from "../validation";
import type { Actor, OrgRef } from "../rbac/context";
import { createDefaultPolicy, policyInputSchema } from "../policy";
import { orgSlugSchema } from "./slug";

export const createOrganizationSchema = z.object({
  slug: orgSlugSchema,
  name: z.string().trim().min(1).max(200),
});

/**
 * Creates an organization with its audit chain head and its default policy
 * (deny everything, with commented examples). The organization's own
 * id is the tenant of the transaction that creates it, so RLS checks the
 * insert like any other write.
 */
export async function createOrganization(input: unknown, actor: Actor = { type: "system", id: null }): Promise<OrgRef> {
  const { slug, name } = parseOr422(createOrganizationSchema, input);
  const id = randomUUID();
  try {
    await withTenant({ orgId: id }, async (tx) => {
      await tx.organization.create({ data: { id, slug, name } });
      await tx.auditHead.create({ data: { orgId: id } });
      const policy = policyInputSchema.parse(createDefaultPolicy());
      await tx.policyVersion.create({
        data: {
          orgId: id,
          version: 1,
          rules: policy.rules,
          description: "Default policy: deny everything",
          status: "published",
          isActive: true,
          publishedAt: new Date(),
        },
      });
      await appendAuditEvent(tx, {
        orgId: id,
        actor,
        action: "org.created",
        target: { type: "organization", id },
        data: { slug, name },
      });
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("conflict", "An organization with this slug already exists");
    throw e;
  }
  return { id, slug, name };
}
