import type { AuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { env, secureCookies } from "../env";
import { isAppError } from "../errors";
import { log } from "../log";
import { endSessionByToken } from "../auth/sessions";
import { signInWithPasskey } from "../auth/second-factor";
import { signInWithPassword } from "../auth/sign-in";
import { CLIENT_IP_HEADER } from "./client-ip";

/**
 * next-auth carries the session; it does not own it. The JWT cookie holds only
 * `sid`, a random token whose hash names a row in `sessions`. Every request
 * resolves that row (revocation, idle and absolute timeouts are enforced
 * there), so signing out or revoking takes effect on the very next request.
 * Other sign-in methods (SSO) and step-up (TOTP, WebAuthn) create or elevate
 * the same row.
 */
export const SESSION_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

function header(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== "object") return null;
  const v = (headers as Record<string, unknown>)[name];
  return typeof v === "string" ? v : null;
}

function metaOf(req: unknown) {
  const headers = (req as { headers?: unknown } | undefined)?.headers;
  return { ip: header(headers, CLIENT_IP_HEADER), userAgent: header(headers, "user-agent") };
}

async function authorizeWith(signIn: () => Promise<{ userId: string; sessionToken: string }>) {
  try {
    const result = await signIn();
    return { id: result.userId, sessionToken: result.sessionToken };
  } catch (e) {
    if (isAppError(e) && e.code === "unauthenticated") return null;
    if (isAppError(e) && e.code === "rate_limited") throw new Error(e.message);
    // SSO-only organizations: say so (the credentials were right; only SSO will do).
    if (isAppError(e) && e.code === "forbidden") throw new Error(e.message);
    log().error({ err: e }, "sign-in failed unexpectedly");
    throw new Error("Sign-in is unavailable right now. Try again shortly.");
  }
}

export function authOptions(): AuthOptions {
  return {
    secret: env().NEXTAUTH_SECRET,
    useSecureCookies: secureCookies(),
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
    pages: { signIn: "/login", error: "/login" },
    providers: [
      CredentialsProvider({
        id: "credentials",
        name: "Email and password",
        credentials: {
          email: { label: "Email", type: "email" },
          password: { label: "Password", type: "password" },
        },
        async authorize(credentials, req) {
          return authorizeWith(() => signInWithPassword(credentials, metaOf(req)));
        },
      }),
      // Passkey-first sign-in (usernameless): the passkey is both factors.
      CredentialsProvider({
        id: "passkey",
        name: "Passkey",
        credentials: { assertion: { label: "Assertion", type: "text" } },
        async authorize(credentials, req) {
          return authorizeWith(() => {
            let input: unknown = null;
            try {
              input = JSON.parse(String(credentials?.assertion ?? "").slice(0, 65_536));
            } catch {
              input = null;
            }
            return signInWithPasskey(input, metaOf(req));
          });
        },
      }),
    ],
    callbacks: {
      async jwt({ token, user }) {
        if (user) {
          // Only the subject and the session token: nothing else is trusted from the cookie.
          return { sub: user.id, sid: (user as { sessionToken?: string }).sessionToken };
        }
        return token;
      },
      async session({ session }) {
        // /api/auth/session exposes nothing but the expiry; pages resolve the
        // server-side session themselves.
        return { expires: session.expires };
      },
    },
    events: {
      async signOut({ token }) {
        const sid = (token as { sid?: unknown } | null)?.sid;
        if (typeof sid === "string") await endSessionByToken(sid, { ip: null, userAgent: null });
      },
    },
    logger: {
      error(code, metadata) {
        log().error({ code, metadata }, "next-auth error");
      },
      warn(code) {
        log().warn({ code }, "next-auth warning");
      },
      debug() {},
    },
  };
}
