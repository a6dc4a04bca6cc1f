import { encode } from "next-auth/jwt";
import { createSession } from "@/lib/auth/sessions";
import type { RouteHandler } from "@/lib/http/route";

export const BASE = "http://localhost:3999";

/** Signs a user in for real (a session row) and returns the cookie a browser would hold. */
export async function sessionCookie(userId: string): Promise<{ cookie: string; token: string; sessionId: string }> {
  const s = await createSession(userId, ["pwd"], { ip: "127.0.0.1", userAgent: "vitest" });
  const jwt = await encode({ token: { sub: userId, sid: s.token }, secret: process.env.NEXTAUTH_SECRET! });
  return { cookie: `next-auth.session-token=${jwt}`, token: s.token, sessionId: s.sessionId };
}

/** The cookie a browser holds for an existing session token (e.g. from a password sign-in). */
export async function cookieForToken(userId: string, token: string): Promise<string> {
  const jwt = await encode({ token: { sub: userId, sid: token }, secret: process.env.NEXTAUTH_SECRET! });
  return `next-auth.session-token=${jwt}`;
}

/** The session cookie a response sets (e.g. the new token after the second factor). */
export function cookieFromSetCookie(res: { headers: Headers }): string {
  const set = res.headers.get("set-cookie") ?? "";
  const m = /next-auth\.session-token=([^;]+)/.exec(set);
  if (!m) throw new Error(`no session cookie in ${set}`);
  return `next-auth.session-token=${m[1]}`;
}

type CallOptions = {
  method?: string;
  path?: string;
  cookie?: string;
  org?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  params?: Record<string, string>;
};

/** Invokes a route handler in-process and returns the Response unread (for streams and binary bodies). */
export async function callRaw(handler: RouteHandler, opts: CallOptions = {}): Promise<Response> {
  const method = opts.method ?? "GET";
  const headers: Record<string, string> = { host: "localhost:3999", "x-warden-client-ip": "127.0.0.1" };
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.org) headers["x-warden-org"] = opts.org;
  if (method !== "GET" && method !== "HEAD") headers.origin = BASE;
  Object.assign(headers, opts.headers);
  const req = new Request(`${BASE}${opts.path ?? "/api/test"}`, { method, headers, body: opts.rawBody });
  return handler(req, { params: Promise.resolve(opts.params ?? {}) });
}

/** Invokes a route handler in-process with a real Request, the way Next.js does. */
export async function call(handler: RouteHandler, opts: CallOptions = {}) {
  const method = opts.method ?? "GET";
  const headers: Record<string, string> = { host: "localhost:3999", "x-warden-client-ip": "127.0.0.1" };
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.org) headers["x-warden-org"] = opts.org;
  if (method !== "GET" && method !== "HEAD") headers.origin = BASE;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] = "application/json";
  }
  Object.assign(headers, opts.headers);
  const req = new Request(`${BASE}${opts.path ?? "/api/test"}`, { method, headers, body });
  const res = await handler(req, { params: Promise.resolve(opts.params ?? {}) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test convenience
  return { status: res.status, headers: res.headers, json: json as any };
}
