import { randomUUID } from "node:crypto";
import { AppError } from "../errors";
import { problemResponse } from "./problem";

/**
 * Methods a route does not implement. Next.js answers a method a route file
 * does not export with an empty 405 (no Allow, no problem body), and one it
 * does not know at all (TRACE, PROPFIND, …) never reaches the route. So every
 * route file under app/api exports all of Next's methods: its own handlers,
 * and for the rest the handlers `otherMethods` returns:
 *
 *   export const GET = route(...);
 *   export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
 *
 * - OPTIONS answers 204 with the route's `Allow`.
 * - Every other method the route lacks answers 405 problem+json with `Allow`
 *   and a request id, like every other problem.
 * - A method Next.js does not dispatch (TRACE, CONNECT, WebDAV's…) is turned
 *   by server.mjs into OPTIONS carrying UNSUPPORTED_METHOD_HEADER (a header
 *   server.mjs always strips from the client's request), and answers 405 the same way.
 *
 * test/integration/http-methods.test.ts walks every route file and checks every method.
 */
export const NEXT_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type HttpMethod = (typeof NEXT_METHODS)[number];
type Implemented = Exclude<HttpMethod, "HEAD" | "OPTIONS">;

/** Set by server.mjs (never trusted from a client: it is deleted from every incoming request first). */
export const UNSUPPORTED_METHOD_HEADER = "x-warden-unsupported-method";

type Handler = (req: Request) => Promise<Response>;
type Others<A extends Implemented> = Record<
  Exclude<HttpMethod, A | "OPTIONS" | ("GET" extends A ? "HEAD" : never)>,
  Handler
> & { OPTIONS: Handler };

/** The `Allow` value for a route that implements `methods` (HEAD comes with GET; OPTIONS always). */
export function allowHeader(methods: readonly Implemented[]): string {
  const all = new Set<HttpMethod>([...methods, "OPTIONS"]);
  if (all.has("GET")) all.add("HEAD");
  return NEXT_METHODS.filter((m) => all.has(m)).join(", ");
}

export function otherMethods<A extends Implemented>(...implemented: A[]): Others<A> {
  const allow = allowHeader(implemented);
  const answer405: Handler = async (req) => {
    const method = req.headers.get(UNSUPPORTED_METHOD_HEADER) ?? req.method;
    return problemResponse(
      new AppError("method_not_allowed", `${method.slice(0, 32)} is not allowed here; allowed: ${allow}`),
      randomUUID(),
      { allow },
    );
  };
  // Marked, so scripts/lib/openapi.ts documents only the route's own methods.
  const notAllowed = Object.assign(answer405, { methodNotAllowed: true as const });
  const handlers: Record<string, Handler> = {};
  for (const m of NEXT_METHODS) {
    if ((implemented as string[]).includes(m) || m === "OPTIONS" || (m === "HEAD" && allow.includes("GET"))) continue;
    handlers[m] = notAllowed;
  }
  handlers.OPTIONS = async (req) => {
    if (req.headers.has(UNSUPPORTED_METHOD_HEADER)) return notAllowed(req);
    return new Response(null, {
      status: 204,
      headers: { allow, "cache-control": "no-store", "x-request-id": randomUUID() },
    });
  };
  return handlers as Others<A>;
}
