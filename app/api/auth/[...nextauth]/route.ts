import NextAuth from "next-auth";
import { authOptions } from "@/lib/http/next-auth";
import { otherMethods } from "@/lib/http/methods";

type Ctx = { params: Promise<{ nextauth: string[] }> };

// Options are built per request so that build time needs no secrets.
function handler(req: Request, ctx: Ctx) {
  return NextAuth(req as never, ctx as never, authOptions());
}

export { handler as GET, handler as POST };

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
