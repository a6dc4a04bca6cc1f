import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { ERROR_STATUS, ERROR_TITLE, type ErrorCode } from "@/lib/errors";
import type { RouteSpec } from "@/lib/http/route";

/**
 * OpenAPI 3.1 from the code: every route file under app/api is imported and
 * each exported method's declaration (the spec it gave route(): who may call
 * it, its params, query and body schemas) becomes an operation. zod 4 writes
 * the JSON Schemas. Errors are RFC 9457 problem+json, listed per operation
 * from what the declaration implies (authentication, permission, input).
 *
 * `npm run openapi` writes docs/openapi.json; test/integration/openapi.test.ts
 * regenerates it and fails when the committed file differs (a route changed
 * without regenerating), when a route file exports a handler this cannot
 * describe, or when the document is not valid OpenAPI 3.1.
 */

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
type Method = (typeof METHODS)[number];

/** Route files that are not the product's API: next-auth's own endpoints and the 404 fallback. */
export const UNDOCUMENTED_ROUTES = ["app/api/auth/[...nextauth]/route.ts", "app/api/[...path]/route.ts"];

/** Plain handlers (not route()): the probes, described here by hand. */
const PLAIN: Record<string, { summary: string; responses: Record<string, unknown> }> = {
  "/api/health": {
    summary: "Liveness: 200 when a query gets through the hot path's pool within 2 s, else 503",
    responses: { "200": jsonResponse("The database answers"), "503": jsonResponse("The database does not answer") },
  },
  "/api/ready": {
    summary: "Readiness: pools, bulkheads, lock waits, migrations applied, background jobs on time",
    responses: { "200": jsonResponse("Ready"), "503": jsonResponse("Not ready (the body says why)") },
  },
  "/api/health/ready": {
    summary: "The same readiness as /api/ready",
    responses: { "200": jsonResponse("Ready"), "503": jsonResponse("Not ready (the body says why)") },
  },
};

function jsonResponse(description: string, schema: unknown = {}) {
  return { description, content: { "application/json": { schema } } };
}

export type RouteFile = { file: string; path: string };

/** Every app/api route file, with its URL path template in OpenAPI form ({id}). */
export function routeFiles(root = process.cwd()): RouteFile[] {
  const out: RouteFile[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name === "route.ts") {
        const rel = path.relative(root, full).split(path.sep).join("/");
        const segments = rel
          .replace(/^app\//, "")
          .replace(/\/route\.ts$/, "")
          .split("/");
        const urlPath = `/${segments.map((s) => s.replace(/^\[([^.\]]+)\]$/, "{$1}")).join("/")}`;
        out.push({ file: rel, path: urlPath });
      }
    }
  };
  walk(path.join(root, "app", "api"));
  return out;
}

function toSchema(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return json;
}

function parameters(schema: z.ZodType | undefined, where: "path" | "query", pathNames: string[]) {
  if (!schema && where === "path") {
    return pathNames.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } }));
  }
  if (!schema) return [];
  const json = toSchema(schema);
  const props = (json.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((json.required ?? []) as string[]);
  const names = where === "path" ? [...new Set([...pathNames, ...Object.keys(props)])] : Object.keys(props);
  return names.map((name) => {
    const { description, ...rest } = props[name] ?? { type: "string" };
    return {
      name,
      in: where,
      required: where === "path" ? true : required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function problem(code: ErrorCode, description?: string) {
  return { $ref: `#/components/responses/${code}`, ...(description ? { description } : {}) };
}

function operation(spec: RouteSpec, method: Method, pathNames: string[]) {
  const kind = spec.public ? "public" : spec.signedIn ? "session" : "org";
  const security =
    kind === "public"
      ? []
      : kind === "session"
        ? [{ session: [] }]
        : [{ apiKey: [] }, { session: [], organization: [] }];
  const errors = new Map<string, ReturnType<typeof problem>>();
  const add = (code: ErrorCode) => errors.set(String(ERROR_STATUS[code]), problem(code));
  add("bad_request");
  if (kind !== "public") add("unauthenticated");
  if (spec.permission) add("forbidden");
  if (spec.params || pathNames.length > 0 || kind === "org") add("not_found");
  add("method_not_allowed");
  if (spec.body) {
    add("payload_too_large");
    add("unsupported_media_type");
  }
  if (spec.body || spec.query) add("validation_failed");
  if (kind === "org") add("rate_limited");
  add("internal");
  add("unavailable");
  const op: Record<string, unknown> = {
    security,
    parameters: [...parameters(spec.params, "path", pathNames), ...parameters(spec.query, "query", [])],
    responses: {
      [method === "POST" ? "2XX" : "200"]: jsonResponse("Success"),
      ...Object.fromEntries([...errors.entries()].sort(([a], [b]) => a.localeCompare(b))),
    },
  };
  if (spec.permission) op["x-warden-permission"] = spec.permission;
  if (spec.allowMfaPending) op["x-warden-mfa-pending-allowed"] = true;
  if (spec.download) op["x-warden-download"] = true;
  if (spec.body) {
    op.requestBody = { required: true, content: { "application/json": { schema: toSchema(spec.body) } } };
  }
  return op;
}

/**
 * SCIM 2.0 (RFC 7644) operations (lib/http/scim-route.ts): the organization's SCIM token as a
 * bearer, bodies and errors in application/scim+json (RFC 7643 resources, the SCIM error schema).
 */
function scimOperation(method: Method, pathNames: string[]) {
  const scim = (description: string) => ({
    description,
    content: { "application/scim+json": { schema: { $ref: "#/components/schemas/ScimResource" } } },
  });
  const error = (description: string) => ({
    description,
    content: { "application/scim+json": { schema: { $ref: "#/components/schemas/ScimError" } } },
  });
  const op: Record<string, unknown> = {
    tags: ["SCIM 2.0"],
    security: [{ scimToken: [] }],
    parameters: pathNames.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })),
    responses: {
      [method === "POST" ? "201" : method === "DELETE" ? "204" : "200"]:
        method === "DELETE" ? { description: "Deleted" } : scim("The resource (or a ListResponse)"),
      "400": error("invalidFilter, invalidSyntax, invalidValue …"),
      "401": error("A missing, unknown or revoked SCIM token"),
      "404": error("No such resource in this organization"),
      "409": error("uniqueness"),
      "413": error("The body is too large"),
      "429": error("Too many requests"),
      "500": error("Unexpected error"),
      "503": error("The database is unavailable"),
    },
  };
  if (method === "POST" || method === "PUT" || method === "PATCH") {
    op.requestBody = {
      required: true,
      content: { "application/scim+json": { schema: { $ref: "#/components/schemas/ScimResource" } } },
    };
  }
  return op;
}

function operationId(method: Method, urlPath: string): string {
  const words = urlPath
    .replace(/^\/api\/(v1\/)?/, "")
    .split(/[/._-]+/)
    .filter(Boolean)
    .map((w) => (w.startsWith("{") ? `By${w.slice(1, -1)}` : w))
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1));
  return `${method.toLowerCase()}${words.join("")}`;
}

function components() {
  const problemSchema = {
    type: "object",
    description: "RFC 9457 problem details",
    required: ["type", "title", "status", "detail", "code", "request_id"],
    properties: {
      type: { type: "string", examples: ["urn:warden:problem:validation_failed"] },
      title: { type: "string" },
      status: { type: "integer" },
      detail: { type: "string" },
      code: { type: "string", enum: Object.keys(ERROR_STATUS) },
      request_id: { type: "string", format: "uuid" },
      errors: {
        type: "array",
        items: {
          type: "object",
          required: ["path", "message"],
          properties: { path: { type: "string" }, message: { type: "string" } },
        },
      },
    },
  };
  const responses = Object.fromEntries(
    (Object.keys(ERROR_STATUS) as ErrorCode[]).map((code) => [
      code,
      {
        description: `${ERROR_STATUS[code]} ${ERROR_TITLE[code]}`,
        content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
      },
    ]),
  );
  return {
    securitySchemes: {
      apiKey: {
        type: "http",
        scheme: "bearer",
        bearerFormat: "wdn_<live|test>_…",
        description: "An API key; its organization is the key's own and its permissions are its scopes.",
      },
      session: {
        type: "apiKey",
        in: "cookie",
        name: "next-auth.session-token",
        description: "A browser session (writes must come from Warden's own origin).",
      },
      scimToken: {
        type: "http",
        scheme: "bearer",
        description: "An organization's SCIM token (created by an admin in settings, shown once).",
      },
      organization: {
        type: "apiKey",
        in: "header",
        name: "X-Warden-Org",
        description: "With a session: the slug of the organization the request acts in.",
      },
    },
    schemas: {
      Problem: problemSchema,
      ScimResource: {
        type: "object",
        description: "A SCIM 2.0 resource (RFC 7643: User, ListResponse, PatchOp, ServiceProviderConfig …)",
        required: ["schemas"],
        properties: { schemas: { type: "array", items: { type: "string" } } },
      },
      ScimError: {
        type: "object",
        description: "The SCIM error response (RFC 7644 §3.12)",
        required: ["schemas", "status"],
        properties: {
          schemas: { type: "array", items: { const: "urn:ietf:params:scim:api:messages:2.0:Error" } },
          status: { type: "string" },
          scimType: { type: "string" },
          detail: { type: "string" },
        },
      },
    },
    responses,
  };
}

export type Generated = { document: Record<string, unknown>; undocumented: string[] };

/** Builds the document by importing every route file (so it needs the app's environment). */
export async function generateOpenApi(root = process.cwd()): Promise<Generated> {
  const paths: Record<string, Record<string, unknown>> = {};
  const undocumented: string[] = [];
  for (const { file, path: urlPath } of routeFiles(root)) {
    if (UNDOCUMENTED_ROUTES.includes(file)) continue;
    const mod = (await import(pathToFileURL(path.join(root, file)).href)) as Record<string, unknown>;
    const pathNames = [...urlPath.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const item: Record<string, unknown> = {};
    for (const method of METHODS) {
      const handler = mod[method] as ((...a: unknown[]) => unknown) & {
        routeSpec?: RouteSpec;
        methodNotAllowed?: true;
      };
      // otherMethods (lib/http/methods.ts): the 405 a route answers for a method it does not implement.
      if (!handler || handler.methodNotAllowed) continue;
      if (handler.routeSpec) {
        item[method.toLowerCase()] = {
          ...operation(handler.routeSpec, method, pathNames),
          operationId: operationId(method, urlPath),
        };
      } else if (urlPath.startsWith("/api/scim/v2/")) {
        item[method.toLowerCase()] = { operationId: operationId(method, urlPath), ...scimOperation(method, pathNames) };
      } else if (PLAIN[urlPath] && method === "GET") {
        item.get = { operationId: operationId(method, urlPath), security: [], ...PLAIN[urlPath] };
      } else {
        undocumented.push(`${method} ${urlPath} (${file})`);
      }
    }
    if (Object.keys(item).length > 0) paths[urlPath] = item;
  }
  const document = {
    openapi: "3.1.0",
    info: {
      title: "Warden API",
      version: "1",
      description:
        "Agents ask Warden before they act; people decide in the browser; every step is in a hash-chained audit trail. Errors are RFC 9457 problem+json with a request_id.",
    },
    servers: [{ url: "/" }],
    paths,
    components: components(),
  };
  return { document, undocumented };
}
