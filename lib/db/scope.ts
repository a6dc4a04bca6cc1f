import { AppError } from "../errors";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID_RE.test(value);
}

export type TenantScope = {
  /** The organization whose rows this transaction may see and write. */
  orgId: string;
  /** The signed-in user, when there is one (lets RLS show the user their own rows). */
  userId?: string | null;
};

/**
 * The one check before a transaction takes a tenant, for both transaction
 * kinds (withTenant, withTenantSql): both ids must be UUIDs. withTenantSql
 * inlines them into its first message, so this is also what keeps that safe.
 */
export function assertScope(scope: TenantScope): void {
  if (!isUuid(scope.orgId)) throw new AppError("internal", "Invalid tenant scope");
  if (scope.userId != null && !isUuid(scope.userId)) throw new AppError("internal", "Invalid user scope");
}
