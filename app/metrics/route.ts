import { scrapeMetrics } from "@/lib/http/metrics-scrape";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** Prometheus metrics of this instance, for a scraper holding METRICS_TOKEN (404 when unset). */
export const GET = route({ public: true }, async ({ req }) => scrapeMetrics(req.headers.get("authorization")));
