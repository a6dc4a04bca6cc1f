import { encode } from "next-auth/jwt";
import { sessionCookieName } from "../auth/principal";
import { env, secureCookies } from "../env";
import { SESSION_MAX_AGE_SECONDS } from "./next-auth";

/**
 * A Set-Cookie header carrying a new session token in next-auth's cookie (the
 * same JWT next-auth writes: only `sub` and `sid`). Used when a session is
 * elevated (the second factor passed) and gets a fresh token.
 */
export async function sessionSetCookie(userId: string, token: string): Promise<string> {
  const jwt = await encode({
    token: { sub: userId, sid: token },
    secret: env().NEXTAUTH_SECRET,
    maxAge: SESSION_MAX_AGE_SECONDS,
  });
  const secure = secureCookies() ? "; Secure" : "";
  return `${sessionCookieName()}=${jwt}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_MAX_AGE_SECONDS}${secure}`;
}
