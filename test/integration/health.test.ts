import { afterEach, describe, expect, it } from "vitest";
import { GET } from "@/app/api/health/route";
import { GET as unknownApi } from "@/app/api/[...path]/route";
import { closeDb } from "@/lib/db/client";

afterEach(closeDb);

describe("GET /api/health", () => {
  it("200 {status: ok} when the database answers", async () => {
    const res = await GET();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("503 when the database does not answer", async () => {
    const good = process.env.APP_DATABASE_URL!;
    const bad = new URL(good);
    bad.port = "1"; // nothing listens there
    process.env.APP_DATABASE_URL = bad.toString();
    // env() caches the validated environment; reload the module graph for this case.
    const { vi } = await import("vitest");
    vi.resetModules();
    try {
      const { GET: fresh } = await import("@/app/api/health/route");
      const res = await fresh();
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: "unavailable" });
      const { closeDb: closeFresh } = await import("@/lib/db/client");
      await closeFresh();
    } finally {
      process.env.APP_DATABASE_URL = good;
    }
  });
});

describe("unknown API paths", () => {
  it("answer 404 problem+json, not an HTML page", async () => {
    const res = unknownApi();
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });
});
