import { randomUUID } from "node:crypto";
import NextAuth from "next-auth";
import { withRequestId } from "@/lib/log";
import { authOptions } from "@/lib/http/next-auth";
import { otherMethods } from "@/lib/http/methods";

type Ctx = { params: Promise<{ nextauth: string[] }> };

// Options are built per request so that build time needs no secrets. The
// request id scopes what sign-in writes (audit events, log lines) and is
// returned in X-Request-Id, as on every other API route.
async function handler(req: Request, ctx: Ctx): Promise<Response> {
  const requestId = randomUUID();
  const res = (await withRequestId(requestId, () => NextAuth(req as never, ctx as never, authOptions()))) as Response;
  try {
    res.headers.set("x-request-id", requestId);
  } catch {
    // A response with immutable headers keeps its own.
  }
  return res;
}

export { handler as GET, handler as POST };

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
