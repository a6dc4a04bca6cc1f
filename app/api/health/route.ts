import { readiness } from "@/lib/db/readiness";
import { log } from "@/lib/log";

export const dynamic = "force-dynamic";

/**
 * 200 only when a query gets through every pool requests use within two
 * seconds: a dead database, or pools so saturated that requests would wait,
 * answer 503 (details: /api/health/ready).
 */
export async function GET() {
  const r = await readiness();
  if (!r.ok) log().warn({ readiness: r }, "health check failed");
  return Response.json(
    { status: r.ok ? "ok" : "unavailable" },
    { status: r.ok ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}
