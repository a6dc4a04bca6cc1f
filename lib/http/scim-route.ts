import { randomUUID } from "node:crypto";
import { AppError, ERROR_STATUS } from "../errors";
import { withRequestId } from "../log";
import { systemContext, type OrgContext } from "../rbac/context";
import { SCIM_CONTENT_TYPE, SCHEMA, ScimError } from "../sso/scim";
import { touchScimToken, verifyScimToken } from "../sso/scim-tokens";
import { readJsonBody } from "./body";
import { clientIpFrom } from "./client-ip";
import { toProblem } from "./problem";
import { observeRequest } from "./route";

/**
 * The wrapper for /api/scim/v2: a SCIM bearer token (lib/sso/scim-tokens.ts)
 * names the organization; the handler gets an OrgContext acting as
 * `system:scim:<token id>` in it (so every write's audit event names the
 * token). Answers are application/scim+json; every failure is the SCIM error
 * schema (RFC 7644 §3.12) with the HTTP status a problem+json would carry.
 */

export const SCIM_MAX_BODY_BYTES = 64 * 1024;

type ScimInput = {
  req: Request;
  ctx: OrgContext;
  /** The SCIM base URL, for meta.location. */
  base: string;
  params: Record<string, string>;
  /** The parsed JSON body (for POST, PUT, PATCH). */
  body: () => Promise<unknown>;
};

export type ScimReply = { status?: number; body?: unknown; headers?: Record<string, string> };
type NextRouteContext = { params: Promise<Record<string, string | string[] | undefined>> };

export function scimBase(req: Request): string {
  return `${new URL(req.url).origin}/api/scim/v2`;
}

export function scimRoute(
  handler: (input: ScimInput) => Promise<ScimReply>,
): (req: Request, routeCtx: NextRouteContext) => Promise<Response> {
  return async (req, routeCtx) => {
    const requestId = randomUUID();
    const started = performance.now();
    // Audit events and log lines written for this request carry its id (lib/log.ts).
    const res = await withRequestId(requestId, () => handle(req, routeCtx, requestId));
    observeRequest(req, routeCtx, res.status, started);
    return res;
  };

  async function handle(req: Request, routeCtx: NextRouteContext, requestId: string): Promise<Response> {
    try {
      const token = /^Bearer\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "")?.[1];
      const caller = token ? await verifyScimToken(token) : null;
      if (!caller) throw new AppError("unauthenticated", "A valid SCIM bearer token is required");
      await touchScimToken(caller);
      const ctx: OrgContext = {
        ...systemContext(caller.org, `scim:${caller.tokenId}`),
        requestId,
        ip: clientIpFrom(req.headers),
        userAgent: req.headers.get("user-agent"),
      };
      const raw = await routeCtx.params;
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw)) if (typeof v === "string") params[k] = v;
      const reply = await handler({
        req,
        ctx,
        base: scimBase(req),
        params,
        body: () => readJsonBody(req, SCIM_MAX_BODY_BYTES, [SCIM_CONTENT_TYPE, "application/json"]),
      });
      const status = reply.status ?? 200;
      const headers: Record<string, string> = {
        "cache-control": "no-store",
        "x-request-id": requestId,
        ...reply.headers,
      };
      if (status === 204 || reply.body === undefined) return new Response(null, { status, headers });
      headers["content-type"] = SCIM_CONTENT_TYPE;
      return new Response(JSON.stringify(reply.body), { status, headers });
    } catch (e) {
      return scimError(e, requestId);
    }
  }
}

/** Any failure as a SCIM error; unknown errors are logged and generic (toProblem decides). */
export async function scimError(e: unknown, requestId: string): Promise<Response> {
  let status: number;
  let detail: string;
  const headers: Record<string, string> = { "cache-control": "no-store", "x-request-id": requestId };
  if (e instanceof AppError) {
    status = ERROR_STATUS[e.code];
    detail = e.message;
    if (e.code === "validation_failed") {
      status = 400;
      const first = e.errors?.[0];
      detail = first ? `${first.path}: ${first.message}` : e.message;
    }
    if (e.code === "unauthenticated") headers["www-authenticate"] = 'Bearer realm="warden-scim"';
    Object.assign(headers, e.headers);
  } else {
    const problem = toProblem(e, requestId);
    status = problem.status;
    detail = ((await problem.json()) as { detail: string }).detail;
    const retry = problem.headers.get("retry-after");
    if (retry) headers["retry-after"] = retry;
  }
  const scimType =
    e instanceof ScimError
      ? e.scimType
      : e instanceof AppError && e.code === "validation_failed"
        ? "invalidValue"
        : undefined;
  const body = { schemas: [SCHEMA.error], status: String(status), ...(scimType ? { scimType } : {}), detail };
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...headers, "content-type": SCIM_CONTENT_TYPE },
  });
}
