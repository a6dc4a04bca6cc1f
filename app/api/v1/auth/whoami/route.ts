import { displayPrefix } from "@/lib/keys/format";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Lets an agent check its own key: organization, scopes, expiry. */
export const GET = route({ anyPrincipal: true }, async ({ ctx }) => {
  const organization = { id: ctx.org.id, slug: ctx.org.slug, name: ctx.org.name };
  if (ctx.principal.kind === "api_key") {
    const k = ctx.principal.key;
    return {
      body: {
        principal: "api_key",
        organization,
        key: {
          id: k.id,
          name: k.name,
          prefix: displayPrefix(k.id, k.environment),
          environment: k.environment,
          scopes: k.scopes,
          suspended_scopes: k.suspendedScopes,
          expires_at: k.expiresAt?.toISOString() ?? null,
          agent_id: k.agentId,
          rotating: k.rotating,
        },
      },
    };
  }
  if (ctx.principal.kind !== "user") return { status: 404 };
  return {
    body: {
      principal: "user",
      organization,
      user: { id: ctx.principal.user.userId, email: ctx.principal.user.email },
      role: ctx.role,
      scopes: [...ctx.permissions],
    },
  };
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
