import document from "@/docs/openapi.json" with { type: "json" };
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** The OpenAPI 3.1 document of this API, generated from the route declarations (npm run openapi). */
export const GET = route({ public: true }, async () => ({
  body: document,
  headers: { "cache-control": "public, max-age=300" },
}));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
