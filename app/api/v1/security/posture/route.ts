import { computePosture } from "@/lib/posture/compute-posture";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** The live checklist and score (admins and auditors). */
export const GET = route({ permission: "security:read" }, async ({ ctx }) => ({ body: await computePosture(ctx) }));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
