/**
 * The part of a browser the SSO tests need on the IdP's side: follow its
 * redirects with its cookies, until it sends the browser back to us.
 */
export class CookieJar {
  private readonly cookies = new Map<string, Map<string, string>>();

  store(url: string, res: Response): void {
    const origin = new URL(url).origin;
    const jar = this.cookies.get(origin) ?? new Map<string, string>();
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const i = pair!.indexOf("=");
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (/max-age=0/i.test(line) || value === "") jar.delete(name);
      else jar.set(name, value);
    }
    this.cookies.set(origin, jar);
  }

  header(url: string): string {
    const jar = this.cookies.get(new URL(url).origin);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join("; ") : "";
  }
}

/** Follows redirects from `url` until one points at `stopPrefix`; returns that URL. */
export async function followUntil(url: string, stopPrefix: string, jar = new CookieJar()): Promise<string> {
  let current = url;
  for (let i = 0; i < 20; i++) {
    if (current.startsWith(stopPrefix)) return current;
    const res = await fetch(current, { redirect: "manual", headers: { cookie: jar.header(current) } });
    jar.store(current, res);
    const location = res.headers.get("location");
    if (!location)
      throw new Error(`IdP answered ${res.status} without a redirect: ${(await res.text()).slice(0, 300)}`);
    await res.body?.cancel();
    current = new URL(location, current).href;
  }
  throw new Error("Too many redirects at the IdP");
}
