import * as oidcClient from "openid-client";
import type { Prisma } from "../db/generated/client";
import { appendAuditEvent } from "../audit/append-event";
import { hasSecondFactor } from "../auth/second-factor";
import { createSession, type AuthMethod, type RequestMeta } from "../auth/sessions";
import { membershipsOf } from "../auth/principal";
import { lookupSsoConnectionOrg, lookupSsoDiscovery } from "../db/lookup";
import { withTenant } from "../db/tenant";
import { log } from "../log";
import type { SessionUser } from "../rbac/context";
import { constantTimeEqualHex, randomToken, sha256Hex } from "../security/hash";
import { consume, rateLimitHeaders, type LimiterSpec } from "../security/rate-limit";
import { env } from "../env";
import { loadConnection, type SsoConnection } from "./connections";
import { oidcAuthorizationUrl, oidcFinish } from "./oidc";
import { samlAuthorizeUrl, samlMetadata, samlValidate } from "./saml";
import { AppError } from "../errors";
import { idpReportsFreshMfa, mappedRole, profileProblems, provisionFromSso } from "./provision";
import { SsoError, type SsoProfile } from "./profile";

/**
 * One SSO round trip. Start: a request row (state, nonce, PKCE verifier; only
 * the state's hash is stored) and a random browser binding (a cookie; its hash
 * is stored), then off to the IdP. Finish: the state finds the row, the cookie
 * must match its binding (a login-CSRF cannot plant someone else's sign-in),
 * the row is consumed once, within 10 minutes, and only then is the IdP's
 * answer checked and acted on.
 */

export const REQUEST_TTL_SECONDS = 600;

export type StartArgs = {
  /** An e-mail address or an organization slug ("Continue with SSO"). */
  identifier?: string;
  /** Test sign-in: the connection an admin tests (needs `user`, an admin of its organization). */
  testConnectionId?: string;
  next?: string;
  user: SessionUser | null;
  /** This server's public origin (for redirect URIs). */
  origin: string;
};

export type Started = { redirectUrl: string; binding: string; requestId: string };

export function callbackUrl(origin: string, connectionId: string): string {
  return `${origin}/api/sso/${connectionId}/callback`;
}
export function acsUrl(origin: string, connectionId: string): string {
  return `${origin}/api/sso/${connectionId}/acs`;
}

async function findConnection(
  args: StartArgs,
): Promise<{ orgId: string; connectionId: string; purpose: "sign_in" | "test" }> {
  if (args.testConnectionId) {
    const row = await lookupSsoConnectionOrg(args.testConnectionId);
    if (!row || !args.user) throw new SsoError("no_connection", "No such SSO connection");
    const m = (await membershipsOf(args.user.userId)).find((x) => x.org.id === row.org_id);
    if (!m || m.role !== "admin") throw new SsoError("no_connection", "No such SSO connection");
    return { orgId: row.org_id, connectionId: args.testConnectionId, purpose: "test" };
  }
  const id = (args.identifier ?? "").trim().toLowerCase();
  const at = id.lastIndexOf("@");
  const found =
    at > 0
      ? await lookupSsoDiscovery(id.slice(at + 1), null)
      : /^[a-z0-9-]{1,40}$/.test(id)
        ? await lookupSsoDiscovery(null, id)
        : null;
  if (!found) throw new SsoError("no_connection", "No single sign-on is set up for that address or organization");
  return { orgId: found.org_id, connectionId: found.connection_id, purpose: "sign_in" };
}

export function ssoStartLimiterSpec(): LimiterSpec {
  return { keyPrefix: "sso-start-ip", points: env().RATE_LIMIT_SSO_START_PER_MINUTE, durationSeconds: 60 };
}

/**
 * Counts one start for the client address, before any lookup: unknown
 * identifiers count too, so the limit also bounds probing which domains and
 * organizations have SSO. Over the limit: 429 with Retry-After.
 */
export async function limitSsoStart(ip: string | null): Promise<Record<string, string>> {
  const spec = ssoStartLimiterSpec();
  const state = await consume(spec, ip ?? "unknown");
  const headers = rateLimitHeaders([{ name: "sso-start", spec, state }]);
  if (state.limited) {
    throw new AppError("rate_limited", "Too many single sign-on attempts; retry after the time in Retry-After", {
      headers,
    });
  }
  return headers;
}

export async function startSso(args: StartArgs): Promise<Started> {
  const { orgId, connectionId, purpose } = await findConnection(args);
  const c = await withTenant({ orgId }, (tx) => loadConnection(tx, connectionId));
  if (purpose === "sign_in" && !c.enabled) throw new SsoError("no_connection", "This SSO connection is not enabled");

  const state = oidcClient.randomState();
  const binding = randomToken(32);
  const nonce = oidcClient.randomNonce();
  const codeVerifier = oidcClient.randomPKCECodeVerifier();
  const loginHint = args.identifier?.includes("@") ? args.identifier : undefined;

  let redirectUrl: string;
  let samlRequestId: string | null = null;
  if (c.protocol === "oidc") {
    redirectUrl = await oidcAuthorizationUrl(c, {
      redirectUri: callbackUrl(args.origin, c.id),
      state,
      nonce,
      codeVerifier,
      loginHint,
    });
  } else {
    const r = await samlAuthorizeUrl(c, { origin: args.origin, relayState: state });
    redirectUrl = r.url;
    samlRequestId = r.requestId;
  }

  const row = await withTenant({ orgId }, async (tx) => {
    // Requests left behind (abandoned at the IdP) go once they are an hour past expiry.
    await tx.ssoAuthRequest.deleteMany({ where: { expiresAt: { lt: new Date(Date.now() - 3600_000) } } });
    return tx.ssoAuthRequest.create({
      data: {
        orgId,
        connectionId: c.id,
        purpose,
        stateHash: sha256Hex(state),
        bindingHash: sha256Hex(binding),
        nonce: c.protocol === "oidc" ? nonce : null,
        codeVerifier: c.protocol === "oidc" ? codeVerifier : null,
        samlRequestId,
        nextPath: args.next ?? "/",
        userId: purpose === "test" ? args.user!.userId : null,
        result: { config_version: c.configVersion } as Prisma.InputJsonValue,
        expiresAt: new Date(Date.now() + REQUEST_TTL_SECONDS * 1000),
      },
      select: { id: true },
    });
  });
  return { redirectUrl, binding, requestId: row.id };
}

export type Finished =
  | { kind: "session"; sessionToken: string; redirect: string; userId: string }
  | { kind: "test"; redirect: string; ok: boolean };

type ClaimedRequest = {
  id: string;
  orgId: string;
  orgSlug: string;
  connection: SsoConnection;
  purpose: "sign_in" | "test";
  nonce: string | null;
  codeVerifier: string | null;
  samlRequestId: string | null;
  nextPath: string;
  userId: string | null;
  configVersion: number;
  /** SAML: the profile the ACS validated, waiting for this browser's GET. */
  profile: SsoProfile | null;
};

/**
 * Finds the request by its state, checks the browser binding, and consumes
 * it (once: a concurrent second use finds it consumed).
 */
export async function claimRequest(
  connectionId: string,
  state: string | null,
  binding: string | undefined,
  expectProtocol: "oidc" | "saml",
): Promise<ClaimedRequest> {
  const org = await lookupSsoConnectionOrg(connectionId);
  if (!org) throw new SsoError("no_connection", "No such SSO connection");
  if (!state || state.length > 200) {
    throw new SsoError("unsolicited", "This sign-in was not started here (no state)", undefined, null);
  }
  return withTenant({ orgId: org.org_id }, async (tx) => {
    const row = await tx.ssoAuthRequest.findUnique({
      where: { orgId_stateHash: { orgId: org.org_id, stateHash: sha256Hex(state) } },
    });
    if (!row || row.connectionId !== connectionId) {
      throw new SsoError("unknown_state", "This sign-in was not started here, or has already been used");
    }
    if (!binding || !constantTimeEqualHex(sha256Hex(binding), row.bindingHash)) {
      throw new SsoError("binding_mismatch", "This sign-in was started in another browser");
    }
    const consumed = await tx.ssoAuthRequest.updateMany({
      where: { id: row.id, consumedAt: null, expiresAt: { gt: new Date() } },
      data: { consumedAt: new Date() },
    });
    if (consumed.count !== 1) {
      throw new SsoError(
        row.consumedAt ? "replayed" : "expired",
        row.consumedAt ? "This sign-in was already used" : "This sign-in took too long; start again",
      );
    }
    const connection = await loadConnection(tx, connectionId);
    if (connection.protocol !== expectProtocol)
      throw new SsoError("no_connection", "Wrong protocol for this connection");
    if (row.purpose === "sign_in" && !connection.enabled)
      throw new SsoError("no_connection", "This SSO connection is not enabled");
    return {
      id: row.id,
      orgId: org.org_id,
      orgSlug: org.org_slug,
      connection,
      purpose: row.purpose as "sign_in" | "test",
      nonce: row.nonce,
      codeVerifier: row.codeVerifier,
      samlRequestId: row.samlRequestId,
      nextPath: row.nextPath,
      userId: row.userId,
      configVersion: Number((row.result as { config_version?: number } | null)?.config_version ?? 0),
      profile: profileFromJson((row.result as { profile?: unknown } | null)?.profile),
    };
  });
}

function profileToJson(p: SsoProfile): Prisma.InputJsonValue {
  return { ...p, authTime: p.authTime?.toISOString() ?? null } as unknown as Prisma.InputJsonValue;
}

function profileFromJson(v: unknown): SsoProfile | null {
  if (!v || typeof v !== "object") return null;
  const p = v as SsoProfile & { authTime: string | null };
  return { ...p, authTime: p.authTime ? new Date(p.authTime) : null };
}

/**
 * The IdP's POST to the ACS (SAML). The browser binding cookie does not come
 * with a cross-site POST, so the validated profile is parked on the request
 * row and the browser is sent to a same-site GET (complete) that must carry it.
 * IdP-initiated responses (no RelayState of ours) are refused unless the
 * connection allows them; then a fresh request and binding are made here.
 */
export async function acceptSamlPost(args: {
  connectionId: string;
  samlResponse: string | null;
  relayState: string | null;
  origin: string;
  meta: RequestMeta;
}): Promise<{ redirect: string; binding: string | null }> {
  const fail = async (e: unknown): Promise<never> => {
    await auditFailure(args.connectionId, e, args.meta);
    throw e;
  };
  const org = await lookupSsoConnectionOrg(args.connectionId);
  if (!org || org.protocol !== "saml") throw new SsoError("no_connection", "No such SSO connection");
  if (!args.samlResponse || args.samlResponse.length > 1_000_000) {
    return fail(new SsoError("invalid_response", "No SAML response"));
  }
  const orgId = org.org_id;
  const pending = args.relayState
    ? await withTenant({ orgId }, (tx) =>
        tx.ssoAuthRequest.findUnique({
          where: { orgId_stateHash: { orgId, stateHash: sha256Hex(args.relayState!.slice(0, 200)) } },
        }),
      )
    : null;
  const c = await withTenant({ orgId }, (tx) => loadConnection(tx, args.connectionId));

  if (pending && pending.connectionId === c.id) {
    if (pending.consumedAt || (pending.result as { profile?: unknown } | null)?.profile) {
      return fail(new SsoError("replayed", "This sign-in was already used"));
    }
    if (pending.expiresAt <= new Date())
      return fail(new SsoError("expired", "This sign-in took too long; start again"));
    const result = await samlValidate(c, args.origin, args.samlResponse, pending.samlRequestId).catch(fail);
    await rememberAssertion(orgId, c.id, result.assertionId, result.notOnOrAfter).catch(fail);
    const parked = await withTenant({ orgId }, (tx) =>
      tx.ssoAuthRequest.updateMany({
        where: { id: pending.id, consumedAt: null },
        data: {
          result: {
            ...((pending.result as Record<string, unknown> | null) ?? {}),
            profile: profileToJson(result.profile),
          } as Prisma.InputJsonValue,
        },
      }),
    );
    if (parked.count !== 1) return fail(new SsoError("replayed", "This sign-in was already used"));
    return { redirect: completePath(c.id, args.relayState!), binding: null };
  }

  // IdP-initiated.
  if (!c.allowIdpInitiated || !c.enabled) {
    return fail(new SsoError("unsolicited", "Sign-ins started at the identity provider are not accepted here"));
  }
  const result = await samlValidate(c, args.origin, args.samlResponse, null).catch(fail);
  await rememberAssertion(orgId, c.id, result.assertionId, result.notOnOrAfter).catch(fail);
  const state = oidcClient.randomState();
  const binding = randomToken(32);
  await withTenant({ orgId }, (tx) =>
    tx.ssoAuthRequest.create({
      data: {
        orgId,
        connectionId: c.id,
        purpose: "sign_in",
        stateHash: sha256Hex(state),
        bindingHash: sha256Hex(binding),
        result: { config_version: c.configVersion, profile: profileToJson(result.profile) } as Prisma.InputJsonValue,
        expiresAt: new Date(Date.now() + 60_000),
      },
    }),
  );
  return { redirect: completePath(c.id, state), binding };
}

function completePath(connectionId: string, state: string): string {
  return `/api/sso/${connectionId}/complete?state=${encodeURIComponent(state)}`;
}

/** An assertion is accepted once: its id is kept until it would have expired anyway. */
async function rememberAssertion(orgId: string, connectionId: string, assertionId: string, until: Date): Promise<void> {
  const inserted = await withTenant({ orgId }, async (tx) => {
    await tx.ssoReplayCache.deleteMany({ where: { expiresAt: { lt: new Date() } } });
    return tx.$executeRaw`
      INSERT INTO sso_replay_cache (org_id, connection_id, assertion_id, expires_at)
      VALUES (${orgId}::uuid, ${connectionId}::uuid, ${assertionId.slice(0, 500)},
              greatest(${until}::timestamptz, now() + interval '10 minutes'))
      ON CONFLICT DO NOTHING`;
  });
  if (inserted !== 1) throw new SsoError("replayed", "This SAML assertion was already used");
}

/** The browser's same-site GET after the ACS: the binding cookie must match, then sign in. */
export async function finishSaml(args: {
  connectionId: string;
  state: string | null;
  binding: string | undefined;
  meta: RequestMeta;
}): Promise<Finished> {
  const req = await claimRequest(args.connectionId, args.state, args.binding, "saml").catch(async (e) => {
    await auditFailure(args.connectionId, e, args.meta);
    throw e;
  });
  if (!req.profile)
    return failed(req, new SsoError("unknown_state", "No validated SAML response for this sign-in"), args.meta);
  return complete(req, req.profile, args.meta);
}

/** The IdP redirected back with a code (OIDC). */
export async function finishOidc(args: {
  connectionId: string;
  callbackUrl: URL;
  binding: string | undefined;
  meta: RequestMeta;
}): Promise<Finished> {
  const state = args.callbackUrl.searchParams.get("state");
  const req = await claimRequest(args.connectionId, state, args.binding, "oidc").catch(async (e) => {
    await auditFailure(args.connectionId, e, args.meta);
    throw e;
  });
  let profile: SsoProfile;
  try {
    const idpError = args.callbackUrl.searchParams.get("error");
    if (idpError) throw new SsoError("idp_error", `The identity provider refused: ${idpError.slice(0, 100)}`);
    profile = await oidcFinish(req.connection, {
      callbackUrl: args.callbackUrl,
      state: state!,
      nonce: req.nonce!,
      codeVerifier: req.codeVerifier!,
    });
  } catch (e) {
    return failed(req, e, args.meta);
  }
  return complete(req, profile, args.meta);
}

/** Acts on a checked profile: a test report, or provisioning and a session. */
export async function complete(req: ClaimedRequest, profile: SsoProfile, meta: RequestMeta): Promise<Finished> {
  if (req.purpose === "test") return recordTest(req, profile, meta);
  try {
    const p = await provisionFromSso(req.connection, profile, meta);
    // A person with a Warden factor passes it after SSO too (the second step on /login).
    const methods: AuthMethod[] = ["sso", `sso_org:${req.orgId}`];
    const idpMfa = req.connection.idpMfa && idpReportsFreshMfa(profile);
    if (idpMfa) methods.push(`idp_mfa:${req.orgId}`);
    // With a Warden second factor enrolled, SSO opens the second step too, unless
    // the IdP's own fresh MFA was accepted for this organization.
    const session = await createSession(p.userId, methods, meta, {
      mfaPending: !idpMfa && (await hasSecondFactor(p.userId)),
    });
    const next = req.nextPath !== "/" ? req.nextPath : `/${req.orgSlug}`;
    return { kind: "session", sessionToken: session.token, redirect: next, userId: p.userId };
  } catch (e) {
    return failed(req, e, meta, profile);
  }
}

async function recordTest(req: ClaimedRequest, profile: SsoProfile, meta: RequestMeta): Promise<Finished> {
  const problems = await profileProblems(req.orgId, profile);
  const role = mappedRole(req.connection.groupRoles, req.connection.defaultRole, profile.groups);
  const report = {
    ok: problems.length === 0,
    at: new Date().toISOString(),
    config_version: req.configVersion,
    subject: profile.subject,
    email: profile.email,
    email_verified: profile.emailVerified,
    name: profile.name,
    groups: profile.groups,
    mapped_role: role,
    amr: profile.amr,
    acr: profile.acr,
    attributes: profile.attributes,
    problems,
  };
  await withTenant({ orgId: req.orgId, userId: req.userId }, async (tx) => {
    await tx.ssoConnection.updateMany({
      where: { id: req.connection.id, configVersion: req.configVersion },
      data: {
        lastTest: report as Prisma.InputJsonValue,
        testedAt: new Date(),
        testedBy: req.userId,
        testedVersion: req.configVersion,
      },
    });
    await appendAuditEvent(tx, {
      orgId: req.orgId,
      actor: { type: "user", id: req.userId },
      action: "sso.connection_tested",
      target: { type: "sso_connection", id: req.connection.id },
      ip: meta.ip,
      data: {
        ok: report.ok,
        config_version: req.configVersion,
        email: profile.email,
        groups: profile.groups,
        mapped_role: role,
        problems,
      },
    });
  });
  return { kind: "test", ok: report.ok, redirect: `/${req.orgSlug}/settings/sso?tested=${req.connection.id}` };
}

async function failed(req: ClaimedRequest, e: unknown, meta: RequestMeta, profile?: SsoProfile): Promise<never> {
  const err = e instanceof SsoError ? e : new SsoError("internal", "Single sign-on failed", e);
  if (!(e instanceof SsoError))
    log().error({ err: e, connectionId: req.connection.id }, "SSO sign-in failed unexpectedly");
  if (req.purpose === "test") {
    await withTenant({ orgId: req.orgId, userId: req.userId }, async (tx) => {
      await tx.ssoConnection.updateMany({
        where: { id: req.connection.id },
        data: {
          lastTest: {
            ok: false,
            at: new Date().toISOString(),
            config_version: req.configVersion,
            error: err.message,
            reason: err.reason,
          } as Prisma.InputJsonValue,
          testedAt: new Date(),
          testedBy: req.userId,
          testedVersion: null,
        },
      });
      await appendAuditEvent(tx, {
        orgId: req.orgId,
        actor: { type: "user", id: req.userId },
        action: "sso.connection_tested",
        target: { type: "sso_connection", id: req.connection.id },
        ip: meta.ip,
        data: { ok: false, reason: err.reason, error: err.message },
      });
    });
    throw new SsoTestFailed(err, `/${req.orgSlug}/settings/sso?tested=${req.connection.id}`);
  }
  await auditFailure(req.connection.id, err, meta, profile);
  throw err;
}

/** A failed test sign-in still lands on the settings page, which shows why. */
export class SsoTestFailed extends Error {
  constructor(
    readonly error: SsoError,
    readonly redirect: string,
  ) {
    super(error.message);
  }
}

/** Records a refused SSO sign-in in the connection's organization (when there is one). */
export async function auditFailure(
  connectionId: string,
  e: unknown,
  meta: RequestMeta,
  profile?: SsoProfile,
): Promise<void> {
  const err = e instanceof SsoError ? e : null;
  try {
    const org = await lookupSsoConnectionOrg(connectionId);
    if (!org) return;
    await withTenant({ orgId: org.org_id }, (tx) =>
      appendAuditEvent(tx, {
        orgId: org.org_id,
        actor: err?.userId ? { type: "user", id: err.userId } : { type: "system", id: "sso" },
        action: "sso.sign_in_failed",
        target: { type: "sso_connection", id: connectionId },
        ip: meta.ip,
        data: {
          reason: err?.reason ?? "internal",
          detail: (err?.message ?? "unexpected error").slice(0, 300),
          email: profile?.email ?? null,
          subject: profile?.subject?.slice(0, 200) ?? null,
        },
      }),
    );
  } catch (auditError) {
    log().error({ err: auditError, connectionId }, "could not record a failed SSO sign-in");
  }
}

/** SAML SP metadata for a connection (public: it names only our own endpoints). */
export async function connectionMetadata(connectionId: string, origin: string): Promise<string> {
  const org = await lookupSsoConnectionOrg(connectionId);
  if (!org || org.protocol !== "saml") throw new AppError("not_found", "SSO connection not found");
  const c = await withTenant({ orgId: org.org_id }, (tx) => loadConnection(tx, connectionId));
  return samlMetadata(c, origin);
}
