import { GET as ready } from "../../ready/route";
import { otherMethods } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The same readiness as /api/ready (kept at this path for existing probes). */
export const GET = ready;

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
