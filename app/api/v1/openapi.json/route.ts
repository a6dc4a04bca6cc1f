import document from "@/docs/openapi.json" with { type: "json" };
import { route } from "@/lib/http/route";

/** The OpenAPI 3.1 document of this API, generated from the route declarations (npm run openapi). */
export const GET = route({ public: true }, async () => ({
  body: document,
  headers: { "cache-control": "public, max-age=300" },
}));
