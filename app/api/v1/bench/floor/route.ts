import { benchFloorInsert } from "@/lib/db/bench-floor";
import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/**
 * The benchmark's floor: the cheapest write transaction this server can do
 * (one row, one transaction, no authentication). Answers 404 unless
 * WARDEN_BENCH_ROUTES=1, which only `npm run bench` sets.
 */
export const POST = route({ public: true }, async () => {
  if (!env().WARDEN_BENCH_ROUTES) throw new AppError("not_found", "No such API endpoint");
  return { status: 201, body: { id: await benchFloorInsert() } };
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
