import { z } from "zod";
import type { JsonValue } from "../json";
import { AppError } from "../errors";
import { parseOr422 } from "../validation";
import { redactParams, redactUrl, sensitiveKeysSchema } from "../security/redact";
import { privateCidrsSchema } from "./address-policy";
import { domainAllowlistSchema } from "./domain-allowlist";
import {
  HTTP_METHODS,
  preflightUrl,
  SAFE_HTTP_DEFAULTS,
  SAFE_HTTP_LIMITS,
  safeRequest,
  type Resolver,
  type SafeHttpRefusal,
} from "./safe-http";
import { validateOutput, type ValidatedOutput } from "./validate-output";

/**
 * Managed connectors: tools Warden executes itself once an action is allowed.
 * Which implementation runs is a table from environment to mode, never a
 * branch in calling code: by default `development` gets sandbox connectors
 * (record the request, no network I/O) and `production` the live ones.
 */

export const CONNECTOR_ENVIRONMENTS = ["development", "production"] as const;
export type ConnectorEnvironment = (typeof CONNECTOR_ENVIRONMENTS)[number];

export const CONNECTOR_MODES = ["sandbox", "live"] as const;
export type ConnectorMode = (typeof CONNECTOR_MODES)[number];

export const connectorModesSchema = z.strictObject({
  development: z.enum(CONNECTOR_MODES),
  production: z.enum(CONNECTOR_MODES),
});
export type ConnectorModes = z.infer<typeof connectorModesSchema>;

export const DEFAULT_CONNECTOR_MODES: Readonly<ConnectorModes> = { development: "sandbox", production: "live" };

export const MANAGED_TOOLS = ["http_proxy"] as const;
export type ManagedTool = (typeof MANAGED_TOOLS)[number];

export function isManagedTool(tool: string): tool is ManagedTool {
  return (MANAGED_TOOLS as readonly string[]).includes(tool);
}

export const DEFAULT_MAX_OUTPUT_LENGTH = 100_000;

/** An organization's connector settings, as stored and edited by admins. */
export const orgConnectorConfigSchema = z.strictObject({
  allowDomains: domainAllowlistSchema,
  allowPrivateCidrs: privateCidrsSchema.default([]),
  sensitiveKeys: sensitiveKeysSchema.default([]),
  maxOutputLength: z.number().int().min(0).max(10_000_000).default(DEFAULT_MAX_OUTPUT_LENGTH),
  maxResponseBytes: z
    .number()
    .int()
    .min(0)
    .max(SAFE_HTTP_LIMITS.maxResponseBytes)
    .default(SAFE_HTTP_DEFAULTS.maxResponseBytes),
  maxTimeoutMs: z.number().int().min(1).max(SAFE_HTTP_LIMITS.timeoutMs).default(SAFE_HTTP_DEFAULTS.timeoutMs),
  maxRedirects: z.number().int().min(0).max(SAFE_HTTP_LIMITS.maxRedirects).default(SAFE_HTTP_DEFAULTS.maxRedirects),
});
export type OrgConnectorConfig = z.input<typeof orgConnectorConfigSchema>;

const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * An http_proxy action's params. `body` is a string sent as is, or any other
 * JSON value sent as JSON (Content-Type application/json unless given).
 * `timeoutMs` is capped by the organization's maxTimeoutMs.
 */
export const httpProxyParamsSchema = z.strictObject({
  url: z.string().min(1).max(8192),
  method: z.string().toUpperCase().pipe(z.enum(HTTP_METHODS)).default("GET"),
  headers: z
    .record(
      z.string().regex(HEADER_NAME_RE, "must be an HTTP header name"),
      z.string().max(8192).regex(HEADER_VALUE_RE, "must not contain control characters"),
    )
    .refine((h) => Object.keys(h).length <= 100, "at most 100 headers")
    .default({}),
  body: z.union([z.string().max(1_000_000), z.json()]).optional(),
  timeoutMs: z.number().int().min(1).max(SAFE_HTTP_LIMITS.timeoutMs).optional(),
});
export type HttpProxyParams = z.output<typeof httpProxyParamsSchema>;

/** What a connector is asked to execute: an allowed action. */
export type ConnectorAction = { id: string; tool: string; params: unknown };

/** The request as recorded for the action's record: secrets and PII redacted. */
export type RecordedRequest = {
  method: string;
  url: string;
  headers: JsonValue;
  body: JsonValue;
};

export type SandboxResult = {
  mode: "sandbox";
  tool: ManagedTool;
  /** Always true: nothing left the process. */
  sandbox: true;
  notice: string;
  request: RecordedRequest;
  /** Whether production would refuse this request before any I/O, and why. */
  preflight: { ok: true } | { ok: false; reason: SafeHttpRefusal; message: string };
};

export type LiveResult = {
  mode: "live";
  tool: ManagedTool;
  sandbox: false;
  request: RecordedRequest;
  response: { status: number; headers: JsonValue; url: string; redirects: string[] };
  output: ValidatedOutput;
};

export type ConnectorResult = SandboxResult | LiveResult;

export interface Connector {
  readonly tool: ManagedTool;
  readonly mode: ConnectorMode;
  /**
   * Runs an allowed action. Rejects with AppError `validation_failed` for bad
   * params or settings, and (live mode) with SafeHttpError for every refusal
   * or transport failure; an upstream HTTP error status is a result, not a
   * rejection.
   */
  execute(action: ConnectorAction, orgConfig: OrgConnectorConfig): Promise<ConnectorResult>;
}

export type RegistryConfig = {
  /** Environment → mode table; DEFAULT_CONNECTOR_MODES when omitted. */
  modes?: ConnectorModes;
  /** DNS for live connectors (tests inject one); the system resolver by default. */
  resolve?: Resolver;
};

export const SANDBOX_NOTICE = "SANDBOX: this request was recorded, not sent. No network I/O took place.";

type Prepared = {
  org: z.output<typeof orgConnectorConfigSchema>;
  params: HttpProxyParams;
  headers: Record<string, string>;
  body: string | undefined;
  recorded: RecordedRequest;
};

function prepareHttpProxy(action: ConnectorAction, orgConfig: OrgConnectorConfig): Prepared {
  const org = parseOr422(orgConnectorConfigSchema, orgConfig, "connector configuration");
  const params = parseOr422(httpProxyParamsSchema, action.params, "http_proxy request");
  const headers = { ...params.headers };
  let body: string | undefined;
  if (typeof params.body === "string") body = params.body;
  else if (params.body !== undefined) {
    body = JSON.stringify(params.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type"))
      headers["content-type"] = "application/json";
  }
  const redactOpts = { sensitiveKeys: org.sensitiveKeys };
  const recorded: RecordedRequest = {
    method: params.method,
    url: redactUrl(params.url, redactOpts),
    headers: redactParams(headers, redactOpts).redacted,
    body: params.body === undefined ? null : redactParams(params.body, redactOpts).redacted,
  };
  return { org, params, headers, body, recorded };
}

function sandboxHttpProxy(): Connector {
  return {
    tool: "http_proxy",
    mode: "sandbox",
    async execute(action, orgConfig) {
      const p = prepareHttpProxy(action, orgConfig);
      const result: SandboxResult = {
        mode: "sandbox",
        tool: "http_proxy",
        sandbox: true,
        notice: SANDBOX_NOTICE,
        request: p.recorded,
        preflight: preflightUrl(p.params.url, p.org.allowDomains, p.org.allowPrivateCidrs),
      };
      return result;
    },
  };
}

function liveHttpProxy(config: RegistryConfig): Connector {
  return {
    tool: "http_proxy",
    mode: "live",
    async execute(action, orgConfig) {
      const p = prepareHttpProxy(action, orgConfig);
      const res = await safeRequest({
        url: p.params.url,
        method: p.params.method,
        headers: p.headers,
        body: p.body,
        timeoutMs: Math.min(p.params.timeoutMs ?? p.org.maxTimeoutMs, p.org.maxTimeoutMs),
        maxResponseBytes: p.org.maxResponseBytes,
        maxRedirects: p.org.maxRedirects,
        allowDomains: p.org.allowDomains,
        allowPrivateCidrs: p.org.allowPrivateCidrs,
        resolve: config.resolve,
      });
      const redactOpts = { sensitiveKeys: p.org.sensitiveKeys };
      const result: LiveResult = {
        mode: "live",
        tool: "http_proxy",
        sandbox: false,
        request: p.recorded,
        response: {
          status: res.status,
          headers: redactParams(res.headers, redactOpts).redacted,
          url: redactUrl(res.url, redactOpts),
          redirects: res.redirects.map((u) => redactUrl(u, redactOpts)),
        },
        output: validateOutput(res.body, { maxLength: p.org.maxOutputLength, sensitiveKeys: p.org.sensitiveKeys }),
      };
      return result;
    },
  };
}

const FACTORIES: Record<ManagedTool, Record<ConnectorMode, (config: RegistryConfig) => Connector>> = {
  http_proxy: { sandbox: sandboxHttpProxy, live: liveHttpProxy },
};

/**
 * The connector for a managed tool in an environment. Throws AppError
 * `bad_request` for a tool Warden does not execute itself (check with
 * isManagedTool first) and `validation_failed` for an unknown environment or
 * a malformed modes table.
 */
export function connectorFor(tool: string, environment: ConnectorEnvironment, config: RegistryConfig = {}): Connector {
  if (!isManagedTool(tool)) throw new AppError("bad_request", `"${tool}" is not a managed connector`);
  const modes = parseOr422(connectorModesSchema, config.modes ?? DEFAULT_CONNECTOR_MODES, "connector modes");
  const env = parseOr422(z.enum(CONNECTOR_ENVIRONMENTS), environment, "environment");
  return FACTORIES[tool][modes[env]](config);
}
