import { hotPathAnswers } from "@/lib/db/readiness";
import { log } from "@/lib/log";
import { otherMethods } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/**
 * 200 only when a query gets through the hot path's pool (the one agents'
 * requests use) within two seconds: a dead database, or a pool so saturated
 * that requests would wait, answers 503. Every pool, the bulkheads and the
 * lock waits: /api/health/ready.
 */
export async function GET() {
  const ok = await hotPathAnswers();
  if (!ok) log().warn("health check failed: the hot path's pool did not answer within 2 s");
  return Response.json(
    { status: ok ? "ok" : "unavailable" },
    { status: ok ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
