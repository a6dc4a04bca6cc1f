import { route } from "@/lib/http/route";
import { createConnection, listConnections } from "@/lib/sso/connections";
import { createConnectionSchema } from "@/lib/sso/schemas";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "org:admin" }, async ({ ctx }) => ({
  body: { connections: await listConnections(ctx) },
}));

export const POST = route({ permission: "org:admin", body: createConnectionSchema }, async ({ ctx, body }) => ({
  status: 201,
  body: await createConnection(ctx, body),
}));

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
