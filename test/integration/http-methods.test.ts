import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeDb } from "@/lib/db/client";
import { NEXT_METHODS, UNSUPPORTED_METHOD_HEADER } from "@/lib/http/methods";
import { closeOwner } from "../helpers/db";

/**
 * Every route file under app/api, every method: a method the route does not
 * implement answers 405 problem+json with the route's Allow and a request id
 * (Next.js would answer an empty 405 for a method a file does not export).
 * Methods Next.js never dispatches (TRACE, …) reach the route as OPTIONS marked
 * by server.mjs (UNSUPPORTED_METHOD_HEADER); e2e/foundation.spec.ts checks that
 * step against the production server.
 */
const root = join(import.meta.dirname, "../..");
const apiDir = join(root, "app/api");

function routeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return routeFiles(p);
    return name === "route.ts" ? [p] : [];
  });
}

const files = routeFiles(apiDir)
  .map((f) => relative(root, f))
  .sort();
const catchAll = "app/api/[...path]/route.ts";

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
type RouteModule = Partial<Record<(typeof NEXT_METHODS)[number], Handler>>;

const ctx = { params: Promise.resolve({}) };
const url = "http://localhost:3999/api/probe";

async function load(file: string): Promise<RouteModule> {
  return (await import(/* @vite-ignore */ join(root, file))) as RouteModule;
}

async function expectProblem405(res: Response, allow: string, method: string) {
  expect(res.status, method).toBe(405);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(res.headers.get("allow")).toBe(allow);
  const body = (await res.json()) as { status: number; code: string; request_id: string; detail: string };
  expect(body).toMatchObject({ status: 405, code: "method_not_allowed" });
  expect(body.detail).toContain(method);
  expect(body.request_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers.get("x-request-id")).toBe(body.request_id);
}

afterAll(async () => {
  await closeOwner();
  await closeDb();
});

describe("every API route answers every method", () => {
  it("finds the route files", () => {
    expect(files.length).toBeGreaterThan(90);
    expect(files).toContain(catchAll);
  });

  it.each(files.filter((f) => f !== catchAll))("%s", async (file) => {
    const mod = await load(file);
    const exported = NEXT_METHODS.filter((m) => typeof mod[m] === "function");
    // Next.js implements HEAD from GET; every other method must be exported, or Next answers an empty 405.
    const missing = NEXT_METHODS.filter((m) => !exported.includes(m) && !(m === "HEAD" && exported.includes("GET")));
    expect(missing, `${file} must export these (otherMethods in lib/http/methods.ts)`).toEqual([]);

    const options = await mod.OPTIONS!(new Request(url, { method: "OPTIONS" }), ctx);
    expect(options.status).toBe(204);
    const allow = options.headers.get("allow")!;
    expect(allow).toMatch(/OPTIONS/);
    const allowed = allow.split(", ") as (typeof NEXT_METHODS)[number][];
    if (allowed.includes("GET")) expect(allowed).toContain("HEAD");

    for (const method of NEXT_METHODS) {
      if (method === "OPTIONS" || allowed.includes(method)) continue;
      const res = await mod[method]!(new Request(url, { method, headers: { origin: "http://localhost:3999" } }), ctx);
      await expectProblem405(res, allow, method);
    }
    // A listed method is the route's own handler: whatever it answers without credentials, it is not 405.
    for (const method of allowed) {
      if (method === "OPTIONS" || method === "HEAD") continue;
      const res = await mod[method]!(new Request(`${url}?x=1`, { method }), ctx).catch(() => null);
      expect(res?.status, `${file} ${method}`).not.toBe(405);
    }
    for (const method of ["TRACE", "CONNECT", "PROPFIND"]) {
      const res = await mod.OPTIONS!(
        new Request(url, { method: "OPTIONS", headers: { [UNSUPPORTED_METHOD_HEADER]: method } }),
        ctx,
      );
      await expectProblem405(res, allow, method);
    }
  });

  it("an unknown API path is 404 problem+json for every method", async () => {
    const mod = await load(catchAll);
    for (const method of NEXT_METHODS) {
      const res = await mod[method]!(new Request(url, { method }), ctx);
      expect(res.status, method).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });
});
