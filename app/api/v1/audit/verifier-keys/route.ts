import { verifierKeys } from "@/lib/audit/checkpoint-note";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** The organization's note verifier keys (`<origin>+<key hash>+<base64 key>`), retired ones included. */
export const GET = route({ permission: "audit:read" }, async ({ ctx }) => ({ body: verifierKeys(ctx) }));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
