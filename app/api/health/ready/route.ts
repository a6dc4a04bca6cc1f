import { GET as ready } from "../../ready/route";

export const dynamic = "force-dynamic";

/** The same readiness as /api/ready (kept at this path for existing probes). */
export const GET = ready;
