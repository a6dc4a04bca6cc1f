import { latestCheckpointNote } from "@/lib/audit/checkpoint-note";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** The newest checkpoint as a C2SP signed note (c2sp.org/tlog-checkpoint), for standard tools, witnesses and monitors. */
export const GET = route({ permission: "audit:read" }, async ({ ctx }) => {
  const latest = await latestCheckpointNote(ctx);
  return new Response(latest.note, {
    status: 200,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
