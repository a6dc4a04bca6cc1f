import { fullReadiness } from "@/lib/jobs/readiness";
import { otherMethods } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/**
 * Readiness: each pool answers within two seconds (its round trip, occupancy and
 * queue), the bulkheads and lock waits, every shipped migration applied, and
 * every background job succeeding somewhere in the cluster on time. 503 when
 * any of these fails. See docs/RELIABILITY.md.
 */
export async function GET() {
  const r = await fullReadiness();
  return Response.json(
    { status: r.ok ? "ok" : "unavailable", ...r },
    { status: r.ok ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
