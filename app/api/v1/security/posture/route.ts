import { computePosture } from "@/lib/posture/compute-posture";
import { route } from "@/lib/http/route";

/** The live checklist and score (admins and auditors). */
export const GET = route({ permission: "security:read" }, async ({ ctx }) => ({ body: await computePosture(ctx) }));
