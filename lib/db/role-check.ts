import { db } from "./client";

/**
 * Row-level security is the tenancy wall, and it does not apply to a superuser
 * or to a role with BYPASSRLS: connected as one, every organization would see
 * every other's rows and nothing would say so. The app checks its own role at
 * start and refuses to run if it is either, or can become one (SET ROLE to a
 * role it is a member of).
 */
export const APP_ROLE_CHECK_SQL = `
  SELECT r.rolname::text AS role, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
         coalesce((SELECT array_agg(s.rolname::text ORDER BY s.rolname) FROM pg_roles s
                   WHERE (s.rolsuper OR s.rolbypassrls) AND s.oid <> r.oid AND pg_has_role(r.oid, s.oid, 'MEMBER')),
                  '{}') AS can_become
  FROM pg_roles r WHERE r.rolname = current_user`;

export type AppRoleRow = { role: string; superuser: boolean; bypassrls: boolean; can_become: string[] };

/** Why this role must not run the app, or null when it is confined by RLS. */
export function appRoleProblem(row: AppRoleRow | undefined): string | null {
  if (!row) return "the database role could not be read";
  const why: string[] = [];
  if (row.superuser) why.push("is a superuser");
  if (row.bypassrls) why.push("has BYPASSRLS");
  if (row.can_become.length > 0) why.push(`can SET ROLE to ${row.can_become.join(", ")} (superuser or BYPASSRLS)`);
  if (why.length === 0) return null;
  return (
    `the app's database role "${row.role}" ${why.join(" and ")}, so row-level security would not keep ` +
    "organizations apart. Connect APP_DATABASE_URL as warden_app (NOSUPERUSER NOBYPASSRLS, created by " +
    "scripts/setup.ts) and grant it no membership in privileged roles."
  );
}

/** Checks the role the app's pool logs in as. Throws if the database cannot be reached. */
export async function checkAppRole(): Promise<string | null> {
  const { rows } = await db().pool.query<AppRoleRow>(APP_ROLE_CHECK_SQL);
  return appRoleProblem(rows[0]);
}
