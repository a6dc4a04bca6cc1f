import { AppError, type ErrorCode } from "../errors";

/**
 * SCIM 2.0 (RFC 7643/7644) vocabulary shared by the Users endpoints and the
 * discovery documents: schema URNs, the error's scimType, the one filter
 * form we support, and the service provider's self-description.
 */

export const SCIM_CONTENT_TYPE = "application/scim+json";
export const SCHEMA = {
  user: "urn:ietf:params:scim:schemas:core:2.0:User",
  group: "urn:ietf:params:scim:schemas:core:2.0:Group",
  list: "urn:ietf:params:scim:api:messages:2.0:ListResponse",
  patch: "urn:ietf:params:scim:api:messages:2.0:PatchOp",
  error: "urn:ietf:params:scim:api:messages:2.0:Error",
  spc: "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
  resourceType: "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
  schema: "urn:ietf:params:scim:schemas:core:2.0:Schema",
} as const;

export type ScimType =
  | "invalidFilter"
  | "tooMany"
  | "uniqueness"
  | "mutability"
  | "invalidSyntax"
  | "invalidPath"
  | "noTarget"
  | "invalidValue"
  | "invalidVers"
  | "sensitive";

/** An AppError that also carries RFC 7644 §3.12's scimType. */
export class ScimError extends AppError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly scimType?: ScimType,
  ) {
    super(code, message);
    this.name = "ScimError";
  }
}

export const MAX_PAGE = 200;

/**
 * The filters we answer: `<attr> eq "<value>"` for userName and externalId
 * (what identity providers send to find a person before creating them).
 * Anything else is 400 invalidFilter, never a silently unfiltered list.
 */
export type ScimFilter = { attribute: "userName" | "externalId"; value: string };

export function parseScimFilter(raw: string | null): ScimFilter | null {
  if (raw === null) return null;
  if (raw.length > 1000) throw new ScimError("bad_request", "The filter is too long", "invalidFilter");
  const m = /^\s*([A-Za-z][A-Za-z0-9.:_-]*)\s+eq\s+"((?:[^"\\]|\\["\\/bfnrt]|\\u[0-9A-Fa-f]{4})*)"\s*$/i.exec(raw);
  if (!m) {
    throw new ScimError(
      "bad_request",
      'Unsupported filter: only userName eq "…" and externalId eq "…" are supported',
      "invalidFilter",
    );
  }
  const attr = m[1]!.replace(/^urn:ietf:params:scim:schemas:core:2\.0:User:/i, "").toLowerCase();
  const attribute = attr === "username" ? "userName" : attr === "externalid" ? "externalId" : null;
  if (!attribute) {
    throw new ScimError("bad_request", `Filtering on ${m[1]} is not supported`, "invalidFilter");
  }
  let value: string;
  try {
    value = JSON.parse(`"${m[2]!}"`) as string;
  } catch {
    throw new ScimError("bad_request", "The filter's value is not a valid string", "invalidFilter");
  }
  return { attribute, value };
}

/** startIndex (1-based) and count, as RFC 7644 §3.4.2.4 reads them: out-of-range values are clamped. */
export function parsePaging(params: URLSearchParams): { startIndex: number; count: number } {
  const int = (name: string): number | null => {
    const v = params.get(name);
    if (v === null) return null;
    if (!/^-?\d{1,9}$/.test(v)) throw new ScimError("bad_request", `${name} must be an integer`, "invalidValue");
    return Number(v);
  };
  const startIndex = Math.max(1, int("startIndex") ?? 1);
  const count = Math.min(MAX_PAGE, Math.max(0, int("count") ?? 100));
  return { startIndex, count };
}

export function serviceProviderConfig(base: string) {
  return {
    schemas: [SCHEMA.spc],
    documentationUri: `${base}/docs`,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "Bearer token",
        description: "A per-organization SCIM token an admin creates under Settings → SSO",
        primary: true,
      },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceTypes(base: string) {
  return [
    {
      schemas: [SCHEMA.resourceType],
      id: "User",
      name: "User",
      endpoint: "/Users",
      description: "A member of the organization",
      schema: SCHEMA.user,
      meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: [SCHEMA.resourceType],
      id: "Group",
      name: "Group",
      endpoint: "/Groups",
      description: "A group of the identity provider; maps to a role",
      schema: SCHEMA.group,
      meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/Group` },
    },
  ];
}

const attr = (
  name: string,
  extra: Partial<{ type: string; required: boolean; mutability: string; uniqueness: string; multiValued: boolean }> & {
    subAttributes?: unknown[];
  } = {},
) => ({
  name,
  type: extra.type ?? "string",
  multiValued: extra.multiValued ?? false,
  required: extra.required ?? false,
  caseExact: false,
  mutability: extra.mutability ?? "readWrite",
  returned: "default",
  uniqueness: extra.uniqueness ?? "none",
  ...(extra.subAttributes ? { subAttributes: extra.subAttributes } : {}),
});

export function schemas(base: string) {
  return [
    {
      schemas: [SCHEMA.schema],
      id: SCHEMA.group,
      name: "Group",
      description: "An identity-provider group; its name maps to a role through the SSO connection's group map",
      attributes: [
        attr("displayName", { required: true, uniqueness: "server" }),
        attr("externalId"),
        attr("members", {
          type: "complex",
          multiValued: true,
          subAttributes: [attr("value", { mutability: "immutable" }), attr("display", { mutability: "readOnly" })],
        }),
      ],
      meta: { resourceType: "Schema", location: `${base}/Schemas/${SCHEMA.group}` },
    },
    {
      schemas: [SCHEMA.schema],
      id: SCHEMA.user,
      name: "User",
      description: "A member of the organization; userName is the work e-mail address",
      attributes: [
        attr("userName", { required: true, uniqueness: "server" }),
        attr("externalId"),
        attr("displayName"),
        attr("name", { type: "complex", subAttributes: [attr("givenName"), attr("familyName"), attr("formatted")] }),
        attr("emails", {
          type: "complex",
          multiValued: true,
          mutability: "readOnly",
          subAttributes: [attr("value"), attr("type"), attr("primary", { type: "boolean" })],
        }),
        attr("active", { type: "boolean" }),
      ],
      meta: { resourceType: "Schema", location: `${base}/Schemas/${SCHEMA.user}` },
    },
  ];
}
