import { signingKeyring } from "../config/crypto";
import { withTenant } from "../db/tenant";
import { AppError } from "../errors";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { publishedKeys, toCheckpointView, type CheckpointView, type PublishedKey } from "./checkpoint-view";

export type CheckpointList = { checkpoints: CheckpointView[]; next_cursor: string | null; keys: PublishedKey[] };

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`, "utf8").toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const createdAt = new Date(at ?? "");
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(createdAt.getTime())) {
    throw new AppError("validation_failed", "The query string is invalid", { errors: [{ path: "cursor", message: "not a cursor from a previous page" }] });
  }
  return { createdAt, id };
}

/**
 * GET /api/v1/audit/checkpoints: the organization's signed checkpoints, newest
 * first, and every public key of the signing key ring (retired ones too, so
 * old checkpoints and packs stay checkable).
 */
export async function listCheckpoints(ctx: OrgContext, query: { limit: number; cursor?: string }): Promise<CheckpointList> {
  assertCan(ctx, "audit:read");
  const after = query.cursor ? decodeCursor(query.cursor) : null;
  const rows = await withTenant(tenantOf(ctx), (tx) =>
    tx.auditCheckpoint.findMany({
      where: {
        orgId: ctx.org.id,
        ...(after
          ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }
          : {}),
      },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: query.limit + 1,
    }),
  );
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    checkpoints: page.map(toCheckpointView),
    next_cursor: rows.length > query.limit && last ? encodeCursor(last.createdAt, last.id) : null,
    keys: publishedKeys(signingKeyring()),
  };
}
