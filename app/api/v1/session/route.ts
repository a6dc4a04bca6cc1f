import { sessionCookieName } from "@/lib/auth/principal";
import { membershipsOf } from "@/lib/auth/principal";
import { endSession } from "@/lib/auth/sessions";
import { secureCookies } from "@/lib/env";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/**
 * The signed-in user and their organizations. Also answers a session that is
 * still waiting for its second factor (`stage: "mfa_pending"`), with nothing
 * but what the second step needs.
 */
export const GET = route({ signedIn: true, allowMfaPending: true }, async ({ user }) => {
  if (user.mfaPending) {
    return {
      body: {
        user: { id: user.userId, email: user.email },
        session: { id: user.sessionId, stage: "mfa_pending", auth_methods: user.authMethods, factors: user.factors },
        organizations: [],
      },
    };
  }
  const memberships = await membershipsOf(user.userId);
  return {
    body: {
      user: { id: user.userId, email: user.email, name: user.name },
      session: {
        id: user.sessionId,
        stage: "complete",
        created_at: user.createdAt,
        auth_methods: user.authMethods,
        factors: user.factors,
      },
      organizations: memberships.map((m) => ({ slug: m.org.slug, name: m.org.name, role: m.role })),
    },
  };
});

/** Sign out: revokes the server-side session and clears the cookie. */
export const DELETE = route({ signedIn: true, allowMfaPending: true }, async ({ user, ip, req }) => {
  await endSession(
    { sessionId: user.sessionId, userId: user.userId },
    { ip, userAgent: req.headers.get("user-agent") },
  );
  const secure = secureCookies() ? "; Secure" : "";
  return {
    status: 204,
    headers: { "set-cookie": `${sessionCookieName()}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure}` },
  };
});

export const { POST, PUT, PATCH, OPTIONS } = otherMethods("GET", "DELETE");
