import { lookupMetricsSnapshot } from "../db/lookup";
import { env } from "../env";
import { AppError } from "../errors";
import { metrics } from "../metrics";
import { constantTimeEqualHex, sha256Hex } from "../security/hash";

/**
 * GET /metrics: Prometheus text for this instance. Exposed only when
 * METRICS_TOKEN is set (404 otherwise, as if the route did not exist), and only
 * to a caller presenting it as a bearer token (compared in constant time).
 */
export async function scrapeMetrics(authorization: string | null): Promise<Response> {
  const expected = env().METRICS_TOKEN;
  if (!expected) throw new AppError("not_found", "Not found");
  const presented = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1] ?? "";
  if (!constantTimeEqualHex(sha256Hex(presented), sha256Hex(expected))) {
    throw new AppError("unauthenticated", "Present the metrics scrape token as a bearer token");
  }
  const m = metrics();
  const snapshot = await lookupMetricsSnapshot();
  m.approvalsPending.set(snapshot.pendingApprovals);
  m.approvalOldestPending.set(snapshot.oldestPendingSeconds);
  m.checkpointAge.set(snapshot.checkpointAgeSeconds);
  return new Response(await m.registry.metrics(), {
    status: 200,
    headers: { "content-type": m.registry.contentType, "cache-control": "no-store" },
  });
}
