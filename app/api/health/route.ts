import { pingDatabase } from "@/lib/db/lookup";
import { log } from "@/lib/log";

export const dynamic = "force-dynamic";

/** 200 only when the database answers within two seconds. */
export async function GET() {
  try {
    await Promise.race([
      pingDatabase(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("database ping timed out")), 2000)),
    ]);
    return Response.json({ status: "ok" }, { headers: { "cache-control": "no-store" } });
  } catch (e) {
    log().warn({ err: e }, "health check failed");
    return Response.json({ status: "unavailable" }, { status: 503, headers: { "cache-control": "no-store" } });
  }
}
