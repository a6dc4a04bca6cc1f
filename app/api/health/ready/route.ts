import { readiness } from "@/lib/db/readiness";
import { otherMethods } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/**
 * Readiness with what requests see: a round trip through each pool (its time,
 * occupancy and queue), the per-organization bulkheads (counts only), and how
 * many of the app's connections wait on a lock and for how long. 503 when a
 * pool does not answer within two seconds. See docs/RELIABILITY.md.
 */
export async function GET() {
  const r = await readiness();
  return Response.json(
    { status: r.ok ? "ok" : "unavailable", ...r },
    { status: r.ok ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
