import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { membershipBySlug, sessionCookieFromHeader, sessionUserFromCookie } from "../auth/principal";
import type { SessionUser } from "../auth/sessions";
import { AppError } from "../errors";
import { DEFAULT_MAX_BODY_BYTES, readJsonBody } from "../http/body";
import { clientIpFrom } from "../http/client-ip";
import { problemResponse, toProblem } from "../http/problem";
import { parseOr422 } from "../http/zod";
import { env } from "../env";
import { makeOrgContext, type OrgContext } from "./context";
import type { Permission } from "./permissions";

/**
 * The one route wrapper. A route declares who may call it — a permission inside
 * an organization, any signed-in user, or anyone — and its input schemas. The
 * wrapper authenticates, resolves the organization, checks the permission,
 * parses and bounds the input, runs the handler, and maps every failure to an
 * RFC 9457 problem. Handlers stay a few lines long.
 *
 * Organization: session callers name it with the `X-Warden-Org` header (the
 * slug); a caller who is not a member gets 404, as if it did not exist.
 */
export const ORG_HEADER = "x-warden-org";

type Schema = z.ZodType;
type Out<S> = S extends Schema ? z.output<S> : undefined;

type Common<B, P, Q> = {
  body?: B;
  params?: P;
  query?: Q;
  maxBodyBytes?: number;
};

type OrgSpec<B, P, Q> = Common<B, P, Q> & { permission: Permission };
type UserSpec<B, P, Q> = Common<B, P, Q> & { signedIn: true };
type PublicSpec<B, P, Q> = Common<B, P, Q> & { public: true };

type Input<B, P, Q> = { req: Request; body: Out<B>; params: Out<P>; query: Out<Q>; requestId: string; ip: string | null };

export type Reply = { status?: number; body?: unknown; headers?: Record<string, string> };
type Result = Response | Reply | void;

type NextRouteContext = { params: Promise<Record<string, string | string[] | undefined>> };
export type RouteHandler = (req: Request, routeCtx: NextRouteContext) => Promise<Response>;

export function route<B extends Schema | undefined = undefined, P extends Schema | undefined = undefined, Q extends Schema | undefined = undefined>(
  spec: OrgSpec<B, P, Q>,
  handler: (input: Input<B, P, Q> & { ctx: OrgContext }) => Promise<Result>,
): RouteHandler;
export function route<B extends Schema | undefined = undefined, P extends Schema | undefined = undefined, Q extends Schema | undefined = undefined>(
  spec: UserSpec<B, P, Q>,
  handler: (input: Input<B, P, Q> & { user: SessionUser }) => Promise<Result>,
): RouteHandler;
export function route<B extends Schema | undefined = undefined, P extends Schema | undefined = undefined, Q extends Schema | undefined = undefined>(
  spec: PublicSpec<B, P, Q>,
  handler: (input: Input<B, P, Q>) => Promise<Result>,
): RouteHandler;
export function route(
  spec: OrgSpec<Schema, Schema, Schema> | UserSpec<Schema, Schema, Schema> | PublicSpec<Schema, Schema, Schema>,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- narrowed by the overloads above
  handler: (input: any) => Promise<Result>,
): RouteHandler {
  return async (req, routeCtx) => {
    const requestId = randomUUID();
    try {
      const ip = clientIpFrom(req.headers);
      const userAgent = req.headers.get("user-agent");
      const unsafe = !["GET", "HEAD", "OPTIONS"].includes(req.method);

      if (new URL(req.url).searchParams.has("api_key")) {
        throw new AppError("bad_request", "Credentials in the query string are refused; use the Authorization header");
      }

      let user: SessionUser | null = null;
      if (!("public" in spec)) {
        if (req.headers.has("authorization")) {
          // API-key principals arrive with the keys work; until then a bearer
          // credential is never accepted in place of a session.
          throw new AppError("unauthenticated", "Invalid credentials");
        }
        user = await sessionUserFromCookie(sessionCookieFromHeader(req.headers.get("cookie")));
        if (!user) throw new AppError("unauthenticated", "Sign in to continue");
        if (unsafe) assertSameOrigin(req);
      }

      let ctx: OrgContext | undefined;
      if ("permission" in spec) {
        const slug = req.headers.get(ORG_HEADER);
        if (!slug) throw new AppError("bad_request", `Name the organization with the ${ORG_HEADER} header`);
        const membership = await membershipBySlug(user!.userId, slug.trim().toLowerCase());
        if (!membership) throw new AppError("not_found", "Organization not found");
        ctx = makeOrgContext({
          requestId,
          ip,
          userAgent,
          principal: { kind: "user", user: user! },
          org: membership.org,
          role: membership.role,
        });
        if (!ctx.permissions.has(spec.permission)) {
          throw new AppError("forbidden", `This requires the ${spec.permission} permission`);
        }
      }

      const params = spec.params ? parseParams(spec.params, await routeCtx.params) : undefined;
      const query = spec.query
        ? parseOr422(spec.query, Object.fromEntries(new URL(req.url).searchParams), "query string")
        : undefined;
      const body = spec.body
        ? parseOr422(spec.body, await readJsonBody(req, spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES))
        : undefined;

      const result = await handler({ req, body, params, query, requestId, ip, ctx, user });
      return toResponse(result, requestId);
    } catch (e) {
      return toProblem(e, requestId);
    }
  };
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

/** For route files: answer unsupported methods with a problem, not Next's empty 405. */
export function methodNotAllowed(): Response {
  return problemResponse(new AppError("method_not_allowed", "Method not allowed"), randomUUID());
}
