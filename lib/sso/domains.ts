import { appendAuditEvent } from "../audit/append-event";
import { lookupOrgsWithSsoDomainsDue, lookupSsoDomainOwner } from "../db/lookup";
import { withTenant, type Tx } from "../db/tenant";
import { conflict, notFound } from "../errors";
import { log } from "../log";
import { actorOf, assertCan, tenantOf, userIdOf, type OrgContext } from "../rbac/context";
import { randomToken } from "../security/hash";
import { parseOr422 } from "../validation";
import { DnsUnavailableError, txtResolver, type TxtResolver } from "./dns";
import { addDomainSchema } from "./schemas";

/**
 * Verified domains: an organization proves it owns a domain with a DNS TXT
 * record; only then do e-mail addresses in it find the organization's SSO
 * connection, and only such addresses are provisioned by it. A domain is
 * verified by one organization at most.
 */

/** Where the record goes, and what it must say. */
export const VERIFICATION_PREFIX = "_warden-verification";
export const recordName = (domain: string) => `${VERIFICATION_PREFIX}.${domain}`;
export const recordValue = (token: string) => `warden-domain-verification=${token}`;

/** Public mail services: nobody can prove they own everyone's address there. */
export const CONSUMER_MAIL_DOMAINS = new Set([
  "gmail.com",
  "googlemail.com",
  "yahoo.com",
  "ymail.com",
  "outlook.com",
  "hotmail.com",
  "live.com",
  "msn.com",
  "icloud.com",
  "me.com",
  "mac.com",
  "aol.com",
  "proton.me",
  "protonmail.com",
  "pm.me",
  "gmx.com",
  "gmx.de",
  "gmx.net",
  "web.de",
  "yandex.com",
  "yandex.ru",
  "mail.ru",
  "qq.com",
  "163.com",
  "126.com",
  "zoho.com",
  "fastmail.com",
  "hey.com",
  "tutanota.com",
  "mail.com",
]);

export type SsoDomainView = {
  id: string;
  domain: string;
  status: "pending" | "verified" | "failed";
  record_name: string;
  record_value: string;
  verified_at: string | null;
  last_checked_at: string | null;
  last_error: string | null;
  created_at: string;
};

type DomainRow = {
  id: string;
  domain: string;
  status: string;
  verificationToken: string;
  verifiedAt: Date | null;
  lastCheckedAt: Date | null;
  lastError: string | null;
  createdAt: Date;
};

function view(d: DomainRow): SsoDomainView {
  return {
    id: d.id,
    domain: d.domain,
    status: d.status as SsoDomainView["status"],
    record_name: recordName(d.domain),
    record_value: recordValue(d.verificationToken),
    verified_at: d.verifiedAt?.toISOString() ?? null,
    last_checked_at: d.lastCheckedAt?.toISOString() ?? null,
    last_error: d.lastError,
    created_at: d.createdAt.toISOString(),
  };
}

export async function listDomains(ctx: OrgContext): Promise<SsoDomainView[]> {
  assertCan(ctx, "org:admin");
  return withTenant(tenantOf(ctx), async (tx) =>
    (await tx.ssoDomain.findMany({ orderBy: { domain: "asc" } })).map(view),
  );
}

export async function addDomain(ctx: OrgContext, input: unknown): Promise<SsoDomainView> {
  assertCan(ctx, "org:admin");
  const { domain } = parseOr422(addDomainSchema, input);
  if (CONSUMER_MAIL_DOMAINS.has(domain)) {
    throw conflict(`${domain} is a public mail service; only a domain your organization owns can be verified`);
  }
  const owner = await lookupSsoDomainOwner(domain);
  if (owner && owner !== ctx.org.id) throw conflict(`${domain} is already verified by another organization`);
  return withTenant(tenantOf(ctx), async (tx) => {
    if (await tx.ssoDomain.findUnique({ where: { orgId_domain: { orgId: ctx.org.id, domain } } })) {
      throw conflict(`${domain} is already listed`);
    }
    const row = await tx.ssoDomain.create({
      data: { orgId: ctx.org.id, domain, verificationToken: randomToken(24), createdBy: userIdOf(ctx) },
    });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "sso.domain_added",
      target: { type: "sso_domain", id: row.id },
      ip: ctx.ip,
      data: { domain },
    });
    return view(row);
  });
}

export async function removeDomain(ctx: OrgContext, id: string): Promise<void> {
  assertCan(ctx, "org:admin");
  await withTenant(tenantOf(ctx), async (tx) => {
    const row = await tx.ssoDomain.findUnique({ where: { id } });
    if (!row) throw notFound("Domain");
    await tx.ssoDomain.delete({ where: { id } });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "sso.domain_removed",
      target: { type: "sso_domain", id },
      ip: ctx.ip,
      data: { domain: row.domain, status: row.status },
    });
  });
}

type Check = { found: true } | { found: false; error: string; definite: boolean };

async function checkRecord(domain: string, token: string, resolver: TxtResolver): Promise<Check> {
  try {
    const records = await resolver(recordName(domain));
    const want = recordValue(token);
    if (records.some((chunks) => chunks.join("") === want)) return { found: true };
    return {
      found: false,
      definite: true,
      error: `No TXT record ${recordName(domain)} with the value ${want} was found`,
    };
  } catch (e) {
    const message = e instanceof DnsUnavailableError ? e.message : "DNS lookup failed";
    return { found: false, definite: false, error: message };
  }
}

/** Checks the TXT record now (the "Verify" button). */
export async function verifyDomain(
  ctx: OrgContext,
  id: string,
  resolver: TxtResolver = txtResolver(),
): Promise<SsoDomainView> {
  assertCan(ctx, "org:admin");
  const row = await withTenant(tenantOf(ctx), (tx) => tx.ssoDomain.findUnique({ where: { id } }));
  if (!row) throw notFound("Domain");
  // The DNS query happens outside any transaction.
  const check = await checkRecord(row.domain, row.verificationToken, resolver);
  if (check.found) {
    const owner = await lookupSsoDomainOwner(row.domain);
    if (owner && owner !== ctx.org.id) throw conflict(`${row.domain} is already verified by another organization`);
  }
  return withTenant(tenantOf(ctx), async (tx) => {
    const updated = await recordCheck(tx, ctx.org.id, row.id, check, actorOf(ctx), ctx.ip);
    if (!updated) throw notFound("Domain");
    return view(updated);
  });
}

async function recordCheck(
  tx: Tx,
  orgId: string,
  id: string,
  check: Check,
  actor: { type: "user" | "api_key" | "system"; id: string | null },
  ip: string | null,
): Promise<DomainRow | null> {
  const current = await tx.ssoDomain.findUnique({ where: { id } });
  if (!current) return null;
  const now = new Date();
  let status = current.status;
  if (check.found) status = "verified";
  else if (check.definite) status = "failed";
  if (status === "verified" && current.status !== "verified") {
    // One organization per domain: serialise verifications of this domain, then
    // ask who holds it (a committed verification by another organization is seen).
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`sso_domain:${current.domain}`}, 0))`;
    const holders = await tx.$queryRaw<{ org_id: string }[]>`
      SELECT org_id::text FROM warden_sso_domain_owner(${current.domain})`;
    if (holders.some((h) => h.org_id !== orgId)) {
      throw conflict(`${current.domain} is already verified by another organization`);
    }
  }
  const updated: DomainRow = await tx.ssoDomain.update({
    where: { id },
    data: {
      status,
      lastCheckedAt: now,
      lastError: check.found ? null : check.error.slice(0, 500),
      verifiedAt: check.found ? (current.status === "verified" ? current.verifiedAt : now) : current.verifiedAt,
    },
  });
  if (status !== current.status) {
    await appendAuditEvent(tx, {
      orgId,
      actor,
      action: status === "verified" ? "sso.domain_verified" : "sso.domain_verification_failed",
      target: { type: "sso_domain", id },
      ip,
      data: { domain: current.domain, from: current.status, to: status, error: check.found ? null : check.error },
    });
  }
  return updated;
}

/**
 * The daily re-check: a verified domain whose record is gone (a definite
 * answer) becomes failed and stops finding or provisioning anyone; a DNS
 * outage only records the error.
 */
export async function recheckDomains(resolver: TxtResolver = txtResolver(), limit = 100): Promise<number> {
  let checked = 0;
  for (const orgId of await lookupOrgsWithSsoDomainsDue(limit)) {
    const due = await withTenant({ orgId }, (tx) =>
      tx.ssoDomain.findMany({
        where: {
          status: "verified",
          OR: [{ lastCheckedAt: null }, { lastCheckedAt: { lt: new Date(Date.now() - 24 * 3600_000) } }],
        },
      }),
    );
    for (const d of due) {
      const check = await checkRecord(d.domain, d.verificationToken, resolver);
      await withTenant({ orgId }, (tx) =>
        recordCheck(tx, orgId, d.id, check, { type: "system", id: "sso-domains" }, null),
      );
      checked++;
      if (!check.found)
        log().warn({ orgId, domain: d.domain, error: check.error }, "verified SSO domain re-check failed");
    }
  }
  return checked;
}
