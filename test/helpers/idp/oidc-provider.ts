import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

/**
 * A real OpenID Provider (node-oidc-provider) on a random local port, for the
 * SSO tests. It signs whoever the test says is next (`setUser`) in without a
 * login form: the interaction endpoint finishes login and consent at once.
 * PKCE is required, as a careful IdP requires it.
 */
export type IdpUser = {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
  amr?: string[];
};

export type OidcIdp = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  setUser(u: IdpUser): void;
  /** Adds a redirect URI the client may use (the RP's callback for a connection). */
  allowRedirect(uri: string): void;
  close(): Promise<void>;
};

export async function startOidcIdp(opts: { port?: number } = {}): Promise<OidcIdp> {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid: randomUUID(), use: "sig", alg: "RS256" };
  const clientId = `warden-${randomUUID().slice(0, 8)}`;
  const clientSecret = randomUUID() + randomUUID();
  const redirectUris = new Set<string>(["http://localhost/unused"]);
  let user: IdpUser = { sub: "nobody" };

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;

  const client = {
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [...redirectUris],
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  };
  const provider = new Provider(issuer, {
    clients: [client],
    jwks: { keys: [jwk as never] },
    cookies: { keys: [randomUUID()] },
    pkce: { required: () => true },
    conformIdTokenClaims: false,
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "groups"], amr: null },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // The test's user, whoever asks: the IdP's job here is the protocol, not passwords.
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({
        sub: id,
        email: user.email,
        email_verified: user.email_verified,
        name: user.name,
        groups: user.groups,
      }),
    }),
    ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
  } as never);
  // Registering a redirect URI at the IdP, as its admin would: exact matches only.
  (provider.Client.prototype as unknown as { redirectUriAllowed(v: string): boolean }).redirectUriAllowed = (v) =>
    redirectUris.has(v);
  const callback = provider.callback();

  server.on("request", async (req: IncomingMessage, res: ServerResponse) => {
    try {
      if (req.url?.startsWith("/interaction/")) {
        const details = await provider.interactionDetails(req, res);
        if (details.prompt.name === "login") {
          await provider.interactionFinished(
            req,
            res,
            { login: { accountId: user.sub, amr: user.amr, acr: "urn:test:acr" } },
            { mergeWithLastSubmission: false },
          );
          return;
        }
        const grant = new provider.Grant({ accountId: details.session!.accountId, clientId });
        grant.addOIDCScope("openid email profile");
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return;
      }
      callback(req, res);
    } catch (e) {
      res.statusCode = 500;
      res.end(String(e));
    }
  });

  return {
    issuer,
    clientId,
    clientSecret,
    setUser(u) {
      user = u;
    },
    allowRedirect(uri) {
      redirectUris.add(uri);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
