import { readFileSync } from "node:fs";
import SwaggerParser from "@apidevtools/swagger-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { GET as served } from "@/app/api/v1/openapi.json/route";
import { generateOpenApi, routeFiles, UNDOCUMENTED_ROUTES, type Generated } from "../../../scripts/lib/openapi";

let generated: Generated;
beforeAll(async () => {
  generated = await generateOpenApi();
}, 120_000);

describe("the OpenAPI document (docs/openapi.json, GET /api/v1/openapi.json)", () => {
  it("describes every handler every route file exports", () => {
    expect(generated.undocumented).toEqual([]);
    const files = routeFiles().map((r) => r.file);
    for (const skipped of UNDOCUMENTED_ROUTES) expect(files).toContain(skipped);
    const paths = generated.document.paths as Record<string, Record<string, unknown>>;
    for (const { file, path } of routeFiles()) {
      if (UNDOCUMENTED_ROUTES.includes(file)) continue;
      expect(paths[path], `${file} is missing from the document`).toBeDefined();
    }
    // And nothing documented lacks a route file.
    const known = new Set(routeFiles().map((r) => r.path));
    for (const p of Object.keys(paths)) expect(known.has(p), `${p} has no route file`).toBe(true);
  });

  it("is committed as generated: run `npm run openapi` after changing a route", () => {
    const committed = JSON.parse(readFileSync("docs/openapi.json", "utf8")) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(generated.document)));
  });

  it("is served at GET /api/v1/openapi.json, to anyone", async () => {
    const res = await served(new Request("http://localhost/api/v1/openapi.json"), { params: Promise.resolve({}) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(readFileSync("docs/openapi.json", "utf8")));
  });

  it("is valid OpenAPI 3.1", async () => {
    const api = await SwaggerParser.validate(structuredClone(generated.document) as never);
    expect((api as { openapi: string }).openapi).toBe("3.1.0");
  });

  it("says who may call each operation, and its errors are problem+json", () => {
    const paths = generated.document.paths as Record<string, Record<string, Record<string, unknown>>>;
    const submit = paths["/api/v1/actions"]!.post!;
    expect(submit.security).toEqual([{ apiKey: [] }, { session: [], organization: [] }]);
    expect(submit["x-warden-permission"]).toBe("actions:submit");
    expect(submit.requestBody).toBeDefined();
    expect(Object.keys(submit.responses as object)).toEqual(expect.arrayContaining(["401", "403", "422", "429"]));
    const approve = paths["/api/v1/approvals/{id}/approve"]!.post!;
    expect(approve.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: "id", in: "path" })]));
    expect(paths["/api/health"]!.get!.security).toEqual([]);
    const problem = (generated.document.components as { responses: Record<string, { content: object }> }).responses
      .validation_failed!;
    expect(Object.keys(problem.content)).toEqual(["application/problem+json"]);
  });
});
