/** What an identity provider said about a person, after the protocol checks passed. */
export type SsoProfile = {
  subject: string;
  email: string | null;
  /** OIDC email_verified; null when the IdP did not say (SAML never says). */
  emailVerified: boolean | null;
  name: string | null;
  groups: string[];
  /** OIDC amr / acr, SAML AuthnContextClassRef (as acr). */
  amr: string[];
  acr: string | null;
  authTime: Date | null;
  sessionIndex: string | null;
  /** Claims or attributes as sent (for the test sign-in's report). */
  attributes: Record<string, unknown>;
};

/**
 * A refused SSO step. `reason` is a stable code the login page turns into a
 * sentence (and the audit event records); `cause` only reaches the log.
 */
export class SsoError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    cause?: unknown,
    /** The person it concerns, when known (the failure is audited as theirs). */
    readonly userId: string | null = null,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "SsoError";
  }
}
