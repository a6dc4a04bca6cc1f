/** What the login and settings pages say for each refusal code of an SSO round trip. */
export const SSO_ERROR_MESSAGES: Record<string, string> = {
  bad_request: "Enter your work e-mail address or your organization's name.",
  no_connection: "Single sign-on is not set up for that address or organization.",
  idp_unreachable: "Your identity provider could not be reached. Try again, or ask your admin.",
  idp_address_refused:
    "Your identity provider's address is in a private or internal network, which this server does not contact. Ask your admin.",
  idp_error: "Your identity provider did not sign you in.",
  invalid_response: "Your identity provider's answer could not be verified, so you were not signed in.",
  unsolicited: "This sign-in was not started from Warden. Start it again from the sign-in page.",
  unknown_state: "This sign-in link is not valid. Start again from the sign-in page.",
  binding_mismatch: "This sign-in was started in another browser or tab. Start again here.",
  replayed: "This sign-in was already used. Start again from the sign-in page.",
  expired: "This sign-in took too long. Start again.",
  no_email: "Your identity provider did not send an e-mail address.",
  email_unverified: "Your identity provider says your e-mail address is not verified.",
  domain_not_verified: "Your e-mail address is not in a domain this organization has verified.",
  identity_conflict: "This identity-provider account is linked to a different Warden account. Ask your admin.",
  deactivated: "Your account was deactivated in this organization by your identity provider. Ask your admin.",
  locked: "Your account is locked in this organization. Ask an admin.",
  sso_required: "This organization requires single sign-on: continue with SSO below.",
  internal: "Single sign-on failed. Try again shortly.",
};

export function ssoErrorMessage(code: string | undefined | null): string | undefined {
  if (!code) return undefined;
  return SSO_ERROR_MESSAGES[code] ?? SSO_ERROR_MESSAGES.internal;
}
