import { signingKeyring } from "./signing-keyring";
import { withTenant } from "../db/tenant";
import { AppError } from "../errors";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { publishedKeys, toCheckpointView, type CheckpointView, type PublishedKey } from "./checkpoint-view";

export type CheckpointList = { checkpoints: CheckpointView[]; next_cursor: string | null; keys: PublishedKey[] };

const badCursor = () =>
  new AppError("validation_failed", "The query string is invalid", {
    errors: [{ path: "cursor", message: "not a cursor from a previous page" }],
  });

/** Opaque to clients; names the last checkpoint of the previous page. */
function encodeCursor(id: string): string {
  return Buffer.from(`cp|${id}`, "utf8").toString("base64url");
}

function decodeCursor(cursor: string): string {
  const [tag, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (tag !== "cp" || !id || !/^[0-9a-f-]{36}$/.test(id)) throw badCursor();
  return id;
}

/**
 * GET /api/v1/audit/checkpoints: the organization's signed checkpoints, newest
 * first, and every public key of the signing key ring (retired ones too, so
 * old checkpoints and packs stay checkable).
 */
export async function listCheckpoints(
  ctx: OrgContext,
  query: { limit: number; cursor?: string },
): Promise<CheckpointList> {
  assertCan(ctx, "audit:read");
  const after = query.cursor ? decodeCursor(query.cursor) : null;
  // Keyset over (created_at, id), the cursor row compared in the database at
  // full (microsecond) precision.
  const rows = await withTenant(tenantOf(ctx), async (tx) => {
    const found = await tx.auditCheckpoint.findMany({
      where: { orgId: ctx.org.id },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      ...(after ? { cursor: { id: after }, skip: 1 } : {}),
      take: query.limit + 1,
    });
    // An unknown (or another organization's) cursor yields no rows: only then ask why.
    if (
      after &&
      found.length === 0 &&
      !(await tx.auditCheckpoint.findFirst({ where: { orgId: ctx.org.id, id: after }, select: { id: true } }))
    )
      throw badCursor();
    return found;
  });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    checkpoints: page.map(toCheckpointView),
    next_cursor: rows.length > query.limit && last ? encodeCursor(last.id) : null,
    keys: publishedKeys(signingKeyring()),
  };
}
