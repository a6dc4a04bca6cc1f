import { Resolver } from "node:dns/promises";
import { env } from "../env";

/** TXT records of a name, each as its character-strings. Injectable so tests run offline. */
export type TxtResolver = (name: string) => Promise<string[][]>;

/** Outcomes a verification can rely on: the name answered (with or without our record), or it could not be asked. */
export class DnsUnavailableError extends Error {}

let override: TxtResolver | null = null;

/** Replaces the resolver for this process (tests). */
export function setTxtResolver(resolver: TxtResolver | null): void {
  override = resolver;
}

export function txtResolver(): TxtResolver {
  if (override) return override;
  const resolver = new Resolver({ timeout: 3_000, tries: 2 });
  const servers = env().WARDEN_DNS_SERVERS;
  if (servers) resolver.setServers(servers.split(",").map((s) => s.trim()));
  return async (name) => {
    try {
      return await resolver.resolveTxt(name);
    } catch (e) {
      const code = (e as { code?: string }).code;
      // The name or its TXT records do not exist: a definite "no".
      if (code === "ENOTFOUND" || code === "ENODATA") return [];
      throw new DnsUnavailableError(`DNS lookup failed (${code ?? "error"})`);
    }
  };
}
