import { afterAll, describe, expect, it } from "vitest";
import { closeOwner, owner } from "../helpers/db";

afterAll(closeOwner);

/** Tables that hold no organization's data, each with the reason. */
const GLOBAL_TABLES: Record<string, string> = {
  schema_migrations: "dbmate's bookkeeping; the app role has no grant on it",
  users: "global identities; RLS shows a user themself and the members of the current organization",
  sessions: "belong to a user; RLS shows a user only their own sessions",
  user_totp: "a person's TOTP secret (encrypted); RLS shows a user only their own row",
  webauthn_credentials: "a person's passkeys; RLS shows a user only their own",
  recovery_codes: "a person's recovery code hashes; RLS shows a user only their own",
  mfa_challenges:
    "a person's second-step and step-up challenges; RLS shows a user only their own (and anonymous sign-in challenges)",
  rate_limits: "hashed counters, no tenant data",
  job_runs: "background job ticks (job name, tick, instance, outcome), no tenant data",
  bench_floor: "empty except during `npm run bench`; the floor route is off unless WARDEN_BENCH_ROUTES=1",
};

async function q<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await owner().query(sql, params)).rows as T[];
}

describe("the tenancy wall in the catalog", () => {
  it("every public table is either a tenant table (org_id) or a reviewed global table", async () => {
    const tables = await q<{ table_name: string; has_org: boolean }>(`
      SELECT c.relname AS table_name,
             EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped) AS has_org
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`);
    const unexplained = tables.filter(
      (t) => !t.has_org && !(t.table_name in GLOBAL_TABLES) && t.table_name !== "organizations",
    );
    expect(unexplained.map((t) => t.table_name)).toEqual([]);
    expect(tables.filter((t) => t.has_org).length).toBeGreaterThanOrEqual(4);
  });

  it("every table with org_id has RLS enabled and forced, and policies on app.org_id for USING and WITH CHECK", async () => {
    const rows = await q<{ relname: string; rls: boolean; forced: boolean; policies: number; bad: number }>(`
      SELECT c.relname, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
             (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid AND 'warden_app'::regrole = ANY (p.polroles))::int AS policies,
             (SELECT count(*) FROM pg_policy p
               WHERE p.polrelid = c.oid AND 'warden_app'::regrole = ANY (p.polroles)
                 AND (p.polcmd IN ('*', 'a', 'w') AND coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') NOT LIKE '%current_setting(''app.org_id''::text, true)%'
                      OR p.polcmd <> 'a' AND coalesce(pg_get_expr(p.polqual, p.polrelid), '') NOT LIKE '%current_setting(''app.org_id''::text, true)%'))::int AS bad
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r'
        AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id') OR c.relname = 'organizations')`);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect({ table: r.relname, rls: r.rls, forced: r.forced }).toEqual({ table: r.relname, rls: true, forced: true });
      expect(r.policies, `${r.relname} has no policy for warden_app`).toBeGreaterThan(0);
      expect(r.bad, `${r.relname} has a warden_app policy not keyed on app.org_id`).toBe(0);
    }
  });

  it("global tables that the app role can reach also have RLS enabled and forced", async () => {
    const rows = await q<{ relname: string; rls: boolean; forced: boolean }>(`
      SELECT relname, relrowsecurity AS rls, relforcerowsecurity AS forced FROM pg_class
      WHERE relname IN ('users', 'sessions', 'user_totp', 'webauthn_credentials', 'recovery_codes', 'mfa_challenges')
        AND relnamespace = 'public'::regnamespace`);
    expect(rows).toHaveLength(6);
    for (const r of rows) expect([r.relname, r.rls, r.forced]).toEqual([r.relname, true, true]);
  });

  it("the app role is not superuser, cannot bypass RLS and owns nothing", async () => {
    const [role] = await q<{ rolsuper: boolean; rolbypassrls: boolean; rolcreaterole: boolean; rolcreatedb: boolean }>(
      `SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'warden_app'`,
    );
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false });
    const owned = await q(`
      SELECT relname FROM pg_class WHERE relowner = 'warden_app'::regrole
      UNION ALL SELECT proname FROM pg_proc WHERE proowner = 'warden_app'::regrole
      UNION ALL SELECT typname FROM pg_type WHERE typowner = 'warden_app'::regrole
      UNION ALL SELECT nspname FROM pg_namespace WHERE nspowner = 'warden_app'::regrole`);
    expect(owned).toEqual([]);
    const [lookup] = await q<{ rolcanlogin: boolean; rolbypassrls: boolean; rolsuper: boolean }>(
      `SELECT rolcanlogin, rolbypassrls, rolsuper FROM pg_roles WHERE rolname = 'warden_lookup'`,
    );
    expect(lookup).toEqual({ rolcanlogin: false, rolbypassrls: false, rolsuper: false });
  });

  it("unique constraints on tenant tables include org_id (besides the uuid primary key)", async () => {
    const rows = await q<{ table: string; index: string; cols: string[] }>(`
      SELECT c.relname AS table, i.relname AS index,
             array(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum = ANY (x.indkey)) AS cols
      FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indisunique AND NOT x.indisprimary AND c.relnamespace = 'public'::regnamespace
        AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id')`);
    const offenders = rows.filter((r) => !r.cols.includes("org_id"));
    expect(offenders).toEqual([]);
  });

  it("every foreign key into a tenant table names org_id on both sides, paired (no reference across organizations)", async () => {
    const fks = await q<{ conname: string; from: string; to: string; cols: string[]; refs: string[] }>(`
      SELECT con.conname, con.conrelid::regclass::text AS from, con.confrelid::regclass::text AS to,
             array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i) AS cols,
             array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
                   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i) AS refs
      FROM pg_constraint con
      WHERE con.contype = 'f' AND con.connamespace = 'public'::regnamespace
        AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = con.confrelid AND a.attname = 'org_id' AND NOT a.attisdropped)`);
    expect(fks.length).toBeGreaterThan(10);
    const offenders = fks
      .filter((fk) => {
        const i = fk.cols.indexOf("org_id");
        return i < 0 || fk.refs[i] !== "org_id";
      })
      .map((fk) => `${fk.from}.${fk.conname} (${fk.cols.join(", ")}) → ${fk.to} (${fk.refs.join(", ")})`);
    expect(offenders).toEqual([]);
  });

  it("a key cannot name another organization's key as its creator or successor, nor can a policy version", async () => {
    const client = await owner().connect();
    try {
      await client.query("BEGIN");
      const orgs = await client.query<{ id: string }>(
        `INSERT INTO organizations (id, slug, name) VALUES (gen_random_uuid(), 'fk-a-' || md5(random()::text), 'A'),
           (gen_random_uuid(), 'fk-b-' || md5(random()::text), 'B') RETURNING id`,
      );
      const [a, b] = orgs.rows.map((r) => r.id);
      const key = async (org: string) =>
        (
          await client.query<{ id: string }>(
            `INSERT INTO api_keys (org_id, environment, secret_hash, last4, name, scopes)
             VALUES ($1, 'test', repeat('a', 64), 'abcd', 'k', '{agents:read}') RETURNING id`,
            [org],
          )
        ).rows[0]!.id;
      const keyA = await key(a!);
      const keyB = await key(b!);
      const refused = async (sql: string, params: unknown[]) => {
        await client.query("SAVEPOINT s");
        const err = await client.query(sql, params).then(
          () => null,
          (e: { code?: string }) => e,
        );
        await client.query("ROLLBACK TO SAVEPOINT s");
        return err?.code;
      };
      for (const col of ["created_by_key_id", "replaced_by"]) {
        expect(await refused(`UPDATE api_keys SET ${col} = $1 WHERE id = $2`, [keyB, keyA]), col).toBe("23503");
      }
      for (const col of ["created_by_key_id", "published_by_key_id"]) {
        expect(
          await refused(
            `INSERT INTO policy_versions (org_id, version, rules, status, ${col}) VALUES ($1, 1, '[]', 'draft', $2)`,
            [a, keyB],
          ),
          col,
        ).toBe("23503");
      }
      // The same organization's key is accepted.
      expect(await refused(`UPDATE api_keys SET created_by_key_id = $1 WHERE id = $2`, [keyA, keyA])).toBeUndefined();
    } finally {
      await client.query("ROLLBACK");
      client.release();
    }
  });

  it("a key column cleared by ON DELETE SET NULL never clears org_id", async () => {
    // A composite (org_id, x) key with plain SET NULL would null org_id too (refused by NOT NULL at delete time).
    const rows = await q<{ conname: string; setnull: string[] | null; cols: string[] }>(`
      SELECT con.conname,
             array(SELECT a.attname::text FROM unnest(con.confdelsetcols) n JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = n) AS setnull,
             array(SELECT a.attname::text FROM unnest(con.conkey) n JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = n) AS cols
      FROM pg_constraint con
      WHERE con.contype = 'f' AND con.connamespace = 'public'::regnamespace AND con.confdeltype = 'n'`);
    const offenders = rows.filter(
      (r) =>
        r.cols.includes("org_id") && (r.setnull === null || r.setnull.length === 0 || r.setnull.includes("org_id")),
    );
    expect(offenders.map((r) => r.conname)).toEqual([]);
  });

  it("cross-tenant lookups are SECURITY DEFINER with a pinned search_path, owned by warden_lookup, not executable by PUBLIC", async () => {
    const fns = await q<{
      proname: string;
      owner: string;
      config: string[] | null;
      public_exec: boolean;
      app_exec: boolean;
    }>(`
      SELECT p.proname, pg_get_userbyid(p.proowner) AS owner, p.proconfig AS config,
             has_function_privilege('public', p.oid, 'EXECUTE') AS public_exec,
             has_function_privilege('warden_app', p.oid, 'EXECUTE') AS app_exec
      FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef`);
    expect(fns.length).toBeGreaterThanOrEqual(4);
    for (const f of fns) {
      expect(f.owner, f.proname).toBe("warden_lookup");
      expect(
        f.config?.some((c) => c.startsWith("search_path=")),
        `${f.proname} search_path`,
      ).toBe(true);
      expect(f.public_exec, `${f.proname} PUBLIC execute`).toBe(false);
      expect(f.app_exec, `${f.proname} app execute`).toBe(true);
    }
  });

  it("the app role cannot UPDATE, DELETE or TRUNCATE the audit trail, and a trigger refuses them for everyone", async () => {
    const [priv] = await q<{ upd: boolean; del: boolean; trunc: boolean; ins: boolean }>(`
      SELECT has_table_privilege('warden_app', 'audit_events', 'UPDATE') AS upd,
             has_table_privilege('warden_app', 'audit_events', 'DELETE') AS del,
             has_table_privilege('warden_app', 'audit_events', 'TRUNCATE') AS trunc,
             has_table_privilege('warden_app', 'audit_events', 'INSERT') AS ins`);
    expect(priv).toEqual({ upd: false, del: false, trunc: false, ins: true });
    const triggers = await q<{ tgname: string }>(
      `SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass AND NOT tgisinternal ORDER BY tgname`,
    );
    expect(triggers.map((t) => t.tgname)).toEqual(["audit_events_append_only", "audit_events_no_truncate"]);
  });
});
