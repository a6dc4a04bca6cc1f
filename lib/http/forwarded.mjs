// Plain JavaScript so server.mjs can use it without a build step.
import { isIP } from "node:net";

/** Returns a canonical IP string, or null when the input is not an IP address. */
export function normaliseIp(ip) {
  if (typeof ip !== "string") return null;
  const v = ip.trim();
  if (v.startsWith("::ffff:") && isIP(v.slice(7)) === 4) return v.slice(7);
  return isIP(v) ? v : null;
}

/**
 * The client address. With 0 trusted hops it is the socket address and
 * X-Forwarded-For is ignored. With N trusted hops, each proxy appends the
 * address it received from, so the client is the N-th entry from the right;
 * anything further left is client-controlled and ignored.
 */
export function clientIp(socketAddress, forwardedFor, hops) {
  const socketIp = normaliseIp(socketAddress);
  if (!hops) return socketIp;
  const chain = (forwardedFor ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (chain.length < hops) return socketIp;
  return normaliseIp(chain[chain.length - hops]) ?? socketIp;
}
