import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { membershipBySlug, sessionCookieFromHeader, sessionUserFromCookie } from "../auth/principal";
import { assertMfaCompliant } from "../auth/mfa-policy";
import { assertSsoCompliant } from "../auth/sso-policy";
import { AppError } from "../errors";
import { DEFAULT_MAX_BODY_BYTES, assertStorableStrings, readJsonBody } from "./body";
import { clientIpFrom } from "./client-ip";
import { toProblem } from "./problem";
import { parseOr422 } from "../validation";
import { env } from "../env";
import { withRequestId } from "../log";
import { metrics, routeTemplate, secondsSince } from "../metrics";
import { touchApiKey } from "../keys/touch-api-key";
import { verifyApiKey, type Verification } from "../keys/verify-api-key";
import { keyContext, userContext, type OrgContext, type SessionUser, type VerifiedKey } from "../rbac/context";
import type { Permission } from "../rbac/permissions";

/**
 * The one route wrapper. A route declares who may call it — a permission inside
 * an organization, any signed-in user, or anyone — and its input schemas. The
 * wrapper authenticates, resolves the organization, checks the permission,
 * parses and bounds the input, runs the handler, and maps every failure to an
 * RFC 9457 problem. Handlers stay a few lines long.
 *
 * Principals: an API key (`Authorization: Bearer wdn_…`, verified by
 * lib/keys/verify-api-key.ts; its organization is the key's own and its
 * permissions are its scopes) or a browser session (cookie; it names the
 * organization with the `X-Warden-Org` header, and a caller who is not a
 * member gets 404, as if the organization did not exist).
 */
export const ORG_HEADER = "x-warden-org";

type Schema = z.ZodType;
type Out<S> = S extends Schema ? z.output<S> : undefined;

type Common<B, P, Q> = {
  body?: B;
  params?: P;
  query?: Q;
  maxBodyBytes?: number;
  /**
   * A file download the dashboard links to (an export, a proof pack). A link
   * cannot set headers, so a session GET may name the organization with
   * `?org=<slug>` instead of X-Warden-Org; a browser must then say the request
   * came from our own pages (Sec-Fetch-Site), so another site cannot make a
   * signed-in auditor's browser start an audited export.
   */
  download?: boolean;
};

type OrgSpec<B, P, Q> = Common<B, P, Q> & { permission: Permission };
/** Any authenticated principal inside an organization, with no particular permission (e.g. whoami). */
type MemberSpec<B, P, Q> = Common<B, P, Q> & { anyPrincipal: true };
type UserSpec<B, P, Q> = Common<B, P, Q> & {
  signedIn: true;
  /**
   * Also for a session that has passed the password but not the second factor
   * (finishing sign-in, signing out). Every other route refuses such a session.
   */
  allowMfaPending?: true;
  /**
   * Also for a session told to step up (an alert rule's require_step_up):
   * opening and verifying the step-up that clears it. Routes that allow
   * a pending second step allow this state too (session, sign-out).
   */
  allowStepUpRequired?: true;
};
type PublicSpec<B, P, Q> = Common<B, P, Q> & { public: true };

type Input<B, P, Q> = {
  req: Request;
  body: Out<B>;
  params: Out<P>;
  query: Out<Q>;
  requestId: string;
  ip: string | null;
};

export type Reply = { status?: number; body?: unknown; headers?: Record<string, string> };
type Result = Response | Reply | void;

type NextRouteContext = { params: Promise<Record<string, string | string[] | undefined>> };
export type RouteHandler = (req: Request, routeCtx: NextRouteContext) => Promise<Response>;

export function route<
  B extends Schema | undefined = undefined,
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
>(spec: OrgSpec<B, P, Q>, handler: (input: Input<B, P, Q> & { ctx: OrgContext }) => Promise<Result>): RouteHandler;
export function route<
  B extends Schema | undefined = undefined,
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
>(spec: MemberSpec<B, P, Q>, handler: (input: Input<B, P, Q> & { ctx: OrgContext }) => Promise<Result>): RouteHandler;
export function route<
  B extends Schema | undefined = undefined,
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
>(spec: UserSpec<B, P, Q>, handler: (input: Input<B, P, Q> & { user: SessionUser }) => Promise<Result>): RouteHandler;
export function route<
  B extends Schema | undefined = undefined,
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
>(spec: PublicSpec<B, P, Q>, handler: (input: Input<B, P, Q>) => Promise<Result>): RouteHandler;
export function route(
  spec:
    | OrgSpec<Schema, Schema, Schema>
    | MemberSpec<Schema, Schema, Schema>
    | UserSpec<Schema, Schema, Schema>
    | PublicSpec<Schema, Schema, Schema>,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- narrowed by the overloads above
  handler: (input: any) => Promise<Result>,
): RouteHandler {
  const handle = async (req: Request, routeCtx: NextRouteContext, requestId: string): Promise<Response> => {
    let extraHeaders: Record<string, string> = {};
    try {
      const ip = clientIpFrom(req.headers);
      const userAgent = req.headers.get("user-agent");
      const unsafe = !["GET", "HEAD", "OPTIONS"].includes(req.method);
      const orgScoped = "permission" in spec || "anyPrincipal" in spec;
      const permission = "permission" in spec ? spec.permission : null;

      if (/wdn_(live|test)_/.test(new URL(req.url).search) || new URL(req.url).searchParams.has("api_key")) {
        throw new AppError("bad_request", "Credentials in the query string are refused; use the Authorization header");
      }

      let user: SessionUser | null = null;
      let ctx: OrgContext | undefined;
      const authorization = req.headers.get("authorization");

      if (!("public" in spec) && authorization !== null) {
        if (!orgScoped) throw new AppError("unauthenticated", "This endpoint needs a browser session");
        const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
        if (!token) throw new AppError("unauthenticated", "Use Authorization: Bearer <API key>");
        const verification = await verifyApiKey(token, { ip, permission });
        metrics().keyVerifications.inc({ result: verification.status });
        extraHeaders = verification.headers;
        if (verification.status !== "valid") throw keyFailure(verification, permission);
        const key = verification.key as VerifiedKey;
        touchApiKey(key, ip);
        ctx = keyContext({
          requestId,
          ip,
          userAgent,
          principal: { kind: "api_key", key },
          org: { id: key.orgId, slug: key.orgSlug, name: key.orgName },
        });
      } else if (!("public" in spec)) {
        user = await sessionUserFromCookie(sessionCookieFromHeader(req.headers.get("cookie")), {
          allowMfaPending: true,
        });
        if (!user) throw new AppError("unauthenticated", "Sign in to continue");
        if (unsafe) assertSameOrigin(req);
        if (user.mfaPending && !("allowMfaPending" in spec && spec.allowMfaPending)) {
          throw new AppError("mfa_required", "Finish signing in with your second factor first");
        }
        if (
          user.stepUpRequired &&
          !("allowMfaPending" in spec && spec.allowMfaPending) &&
          !("allowStepUpRequired" in spec && spec.allowStepUpRequired)
        ) {
          throw new AppError(
            "session_step_up_required",
            "This session must confirm a fresh second factor before it can continue (a sign-in from a new address)",
          );
        }
        if (orgScoped) {
          const slug = req.headers.get(ORG_HEADER) ?? (spec.download ? downloadOrg(req) : null);
          if (!slug) throw new AppError("bad_request", `Name the organization with the ${ORG_HEADER} header`);
          const membership = await membershipBySlug(user.userId, slug.trim().toLowerCase());
          if (!membership) throw new AppError("not_found", "Organization not found");
          assertMfaCompliant(user, membership);
          assertSsoCompliant(user, membership);
          ctx = userContext({
            requestId,
            ip,
            userAgent,
            principal: { kind: "user", user },
            org: membership.org,
            role: membership.role,
          });
        }
      }

      if (ctx && permission && !ctx.permissions.has(permission)) {
        throw new AppError("forbidden", `This requires the ${permission} permission`);
      }

      const params = spec.params ? parseParams(spec.params, await routeCtx.params) : undefined;
      const searchParams = new URL(req.url).searchParams;
      for (const [k, v] of searchParams) assertStorableStrings({ [k]: v }, "query string");
      const query = spec.query ? parseOr422(spec.query, Object.fromEntries(searchParams), "query string") : undefined;
      const body = spec.body
        ? parseOr422(spec.body, await readJsonBody(req, spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES))
        : undefined;

      const result = await handler({ req, body, params, query, requestId, ip, ctx, user });
      return withHeaders(toResponse(result, requestId), extraHeaders);
    } catch (e) {
      if (e instanceof AppError && e.code === "unauthenticated")
        extraHeaders["WWW-Authenticate"] = 'Bearer realm="warden"';
      return withHeaders(toProblem(e, requestId), extraHeaders);
    }
  };
  // Everything the request does (log lines, audit events) carries its id.
  const timed: RouteHandler = async (req, routeCtx) => {
    const started = performance.now();
    const requestId = randomUUID();
    const res = await withRequestId(requestId, () => handle(req, routeCtx, requestId));
    observeRequest(req, routeCtx, res.status, started);
    return res;
  };
  // The declaration travels with the handler: scripts/lib/openapi.ts documents every route from it.
  return Object.assign(timed, { routeSpec: spec as RouteSpec });
}

/** What a route declares (who may call it, its input schemas), as scripts/lib/openapi.ts reads it. */
export type RouteSpec = Common<Schema, Schema, Schema> & {
  permission?: Permission;
  anyPrincipal?: true;
  signedIn?: true;
  allowMfaPending?: true;
  public?: true;
};

/** The request duration histogram, labelled by route template (never by the ids in the path). */
export function observeRequest(req: Request, routeCtx: NextRouteContext, status: number, started: number): void {
  const seconds = secondsSince(started);
  void Promise.resolve(routeCtx?.params)
    .then((params) => {
      const route = routeTemplate(new URL(req.url).pathname, params ?? {});
      metrics().httpRequestDuration.observe({ route, method: req.method, status: String(status) }, seconds);
    })
    .catch(() => {});
}

/**
 * Key failures. Without the right secret every failure reads the same; the
 * specific reasons (revoked, expired, address) are only told to a caller who
 * presented the correct secret, which already proves they hold the key.
 */
function keyFailure({ status, key, headers }: Verification, permission: Permission | null): AppError {
  switch (status) {
    case "bad_checksum":
    case "malformed":
      return new AppError("unauthenticated", "Invalid API key (malformed or mistyped)");
    case "revoked":
      return new AppError("unauthenticated", "This API key has been revoked");
    case "expired":
      return new AppError("unauthenticated", "This API key has expired");
    case "ip_not_allowed":
      // The credential is valid (its secret matched); the address is what is refused.
      return new AppError("forbidden", "This API key may not be used from this address");
    case "suspended":
      return new AppError("unauthenticated", "This API key is suspended until an admin reinstates it");
    case "creator_not_member":
      return new AppError("unauthenticated", "This API key's creator is no longer a member of the organization");
    case "insufficient_scope":
      if (permission && key?.suspendedScopes.includes(permission)) {
        return new AppError(
          "forbidden",
          `This API key's ${permission} scope is suspended: the person who created it no longer holds that permission`,
        );
      }
      return new AppError("forbidden", "This API key's scopes do not include this operation");
    case "rate_limited":
      return new AppError("rate_limited", "Rate limit exceeded; retry after the time in Retry-After", { headers });
    default:
      return new AppError("unauthenticated", "Invalid API key");
  }
}

/**
 * Adds the key's rate-limit headers to the response. When the handler set its
 * own (a tighter per-agent limit), its RateLimit and Retry-After stand, and the
 * policies are listed together.
 */
function withHeaders(res: Response, headers: Record<string, string>): Response {
  for (const [k, v] of Object.entries(headers)) {
    const existing = res.headers.get(k);
    if (existing === null) res.headers.set(k, v);
    else if (k.toLowerCase() === "ratelimit-policy" && existing !== v) res.headers.set(k, `${v}, ${existing}`);
  }
  return res;
}

/** The organization named in a download link's query string, for a same-origin (or non-browser) GET. */
function downloadOrg(req: Request): string | null {
  if (req.method !== "GET" && req.method !== "HEAD") return null;
  const slug = new URL(req.url).searchParams.get("org");
  if (!slug) return null;
  const site = req.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none")
    throw new AppError("forbidden", "Cross-site download refused");
  return slug;
}

/** Path parameters that fail their schema name nothing that exists: 404. */
function parseParams(schema: Schema, raw: unknown): unknown {
  const r = schema.safeParse(raw);
  if (!r.success) throw new AppError("not_found", "Not found");
  return r.data;
}

/**
 * Cookie-authenticated writes must come from our own pages. Browsers always
 * send Origin on cross-site POST/PATCH/DELETE, so a missing or foreign Origin
 * is refused (in addition to SameSite=Lax cookies and the JSON content type).
 */
function assertSameOrigin(req: Request): void {
  const origin = req.headers.get("origin");
  const allowed = new Set<string>();
  const configured = env().NEXTAUTH_URL;
  if (configured) allowed.add(new URL(configured).origin);
  const host = req.headers.get("host");
  if (host) {
    allowed.add(`http://${host}`);
    allowed.add(`https://${host}`);
  }
  if (!origin || !allowed.has(origin)) {
    throw new AppError("forbidden", "Cross-origin request refused");
  }
}

function toResponse(result: Result, requestId: string): Response {
  if (result instanceof Response) {
    result.headers.set("x-request-id", requestId);
    return result;
  }
  const reply = result ?? { status: 204 };
  const status = reply.status ?? 200;
  const headers: Record<string, string> = { "cache-control": "no-store", "x-request-id": requestId, ...reply.headers };
  if (status === 204 || reply.body === undefined) return new Response(null, { status, headers });
  headers["content-type"] = "application/json";
  return new Response(JSON.stringify(reply.body, jsonReplacer), { status, headers });
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? Number(value) : value;
}

/**
 * The step-up grant a request presents (lib/auth/step-up.ts): the
 * X-Warden-Step-Up header, or `?step_up=` on a download link.
 */
export const STEP_UP_HEADER = "x-warden-step-up";
export function stepUpIdOf(req: Request): string | null {
  return req.headers.get(STEP_UP_HEADER) ?? new URL(req.url).searchParams.get("step_up");
}
