import { z } from "zod";

/** Route bodies the domain functions validate themselves (they report paths under the body). */
export const jsonBody = z.unknown();
export const idParams = z.object({ id: z.uuid() });
export const enabledBody = z.strictObject({ enabled: z.boolean() });
export const readBody = z.strictObject({ id: z.uuid().nullish() });
