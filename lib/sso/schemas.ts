import { z } from "zod";
import { ROLES } from "../rbac/permissions";

/** An identity provider's URL: https (http only when WARDEN_SSO_ALLOW_HTTP says so, checked in the domain code). */
const idpUrl = z
  .string()
  .trim()
  .max(2000)
  .pipe(z.url({ protocol: /^https?$/, message: "Enter an http(s) URL" }));

const role = z.enum(ROLES);

export const groupRolesSchema = z
  .array(z.strictObject({ group: z.string().trim().min(1).max(200), role }))
  .max(100)
  .refine((list) => new Set(list.map((g) => g.group)).size === list.length, "Each group may be mapped once");

const common = {
  name: z.string().trim().min(1).max(100),
  default_role: role.default("viewer"),
  group_roles: groupRolesSchema.default([]),
  /** Let the IdP's fresh multi-factor sign-in satisfy the organization's MFA policy. */
  idp_mfa: z.boolean().default(false),
};

export const oidcSettingsSchema = z.strictObject({
  issuer: idpUrl,
  client_id: z.string().trim().min(1).max(500),
  /** The claim holding the person's groups (default "groups"). */
  groups_claim: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_:./-]+$/)
    .default("groups"),
});

const pem = z
  .string()
  .trim()
  .max(20_000)
  .refine(
    (s) => /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----$/.test(s),
    "Paste the IdP's signing certificate in PEM form (-----BEGIN CERTIFICATE----- …)",
  );

export const samlSettingsSchema = z.strictObject({
  entry_point: idpUrl,
  idp_issuer: z.string().trim().min(1).max(1000),
  idp_certificate: pem,
  /** The attribute holding the e-mail (default: the NameID when it is an e-mail, else "email"). */
  email_attribute: z.string().trim().min(1).max(200).default("email"),
  groups_attribute: z.string().trim().min(1).max(200).default("groups"),
});

export const createConnectionSchema = z.discriminatedUnion("protocol", [
  z.strictObject({
    protocol: z.literal("oidc"),
    ...common,
    oidc: oidcSettingsSchema,
    client_secret: z.string().min(1).max(2000),
  }),
  z.strictObject({
    protocol: z.literal("saml"),
    ...common,
    saml: samlSettingsSchema,
    allow_idp_initiated: z.boolean().default(false),
  }),
]);
export type CreateConnectionInput = z.output<typeof createConnectionSchema>;

export const updateConnectionSchema = z
  .strictObject({
    name: common.name.optional(),
    default_role: role.optional(),
    group_roles: groupRolesSchema.optional(),
    oidc: oidcSettingsSchema.optional(),
    client_secret: z.string().min(1).max(2000).optional(),
    saml: samlSettingsSchema.optional(),
    allow_idp_initiated: z.boolean().optional(),
    idp_mfa: z.boolean().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, "Nothing to change");

export const connectionParamsSchema = z.object({ id: z.uuid() });
/** The IdP-facing routes name the connection in their path. */
export const connectionParams = z.object({ connectionId: z.uuid() });

export const addDomainSchema = z.strictObject({
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .max(253)
    .transform((d) => d.replace(/\.$/, ""))
    .pipe(
      z
        .string()
        .regex(
          /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/,
          "Enter a domain name such as example.com",
        ),
    ),
});

export const domainParamsSchema = z.object({ id: z.uuid() });

export const roleRequestParamsSchema = z.object({ userId: z.uuid() });
export const roleRequestDecisionSchema = z.strictObject({ decision: z.enum(["approve", "reject"]) });

/** "Continue with SSO": an e-mail address or an organization's slug. */
export const startQuerySchema = z.object({
  identifier: z.string().trim().toLowerCase().min(1).max(320).optional(),
  connection: z.uuid().optional(),
  test: z.enum(["1"]).optional(),
  /** Where a failed test start sends the admin back to (their organization's SSO settings). */
  org: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/)
    .optional(),
  next: z.string().max(500).optional(),
});
