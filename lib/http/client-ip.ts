/**
 * The client address as decided by server.mjs, which always overwrites this
 * header from the socket address (or from the configured number of trusted
 * proxy hops). A value sent by a client never survives to the app.
 */
export const CLIENT_IP_HEADER = "x-warden-client-ip";

export function clientIpFrom(headers: Headers): string | null {
  const v = headers.get(CLIENT_IP_HEADER);
  return v && v.length <= 64 ? v : null;
}
