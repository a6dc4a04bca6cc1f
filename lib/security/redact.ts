import { z } from "zod";
import type { JsonValue } from "../json";
import { addCounts, isCardNumberValue, piiMarker, redactPii, type PiiKind } from "./pii";

/**
 * Redaction for storage and logs: values under secret-looking keys are
 * replaced whatever they hold; inside every other string, secrets written as
 * text (redactSecretsInText: `token=…`, `Authorization: Bearer …`) and PII
 * (see pii.ts) are replaced in place.
 */

export const DEFAULT_SENSITIVE_KEYS = [
  "password",
  "passwd",
  "api_key",
  "token",
  "secret",
  "authorization",
  "cookie",
  "private_key",
  "credit_card",
  "cvv",
  "ssn",
] as const;

export const REDACTED = "[REDACTED]";
export const DEFAULT_MAX_DEPTH = 64;

export type RedactionKind = "key" | "depth" | PiiKind;
export type RedactionCounts = Partial<Record<RedactionKind, number>>;

/** An organization's extra sensitive key names, as stored in its settings. */
export const sensitiveKeysSchema = z
  .array(
    z
      .string()
      .trim()
      .min(1)
      .max(64)
      .refine((k) => keyTokens(k).length > 0, "must contain a letter or digit"),
  )
  .max(200);

/**
 * Splits a key into lower-case word tokens: camelCase and PascalCase
 * boundaries ("apiKey", "XAPIKey" → "xapi key") and any run of characters
 * other than ASCII letters and digits ("api-key", "API_KEY", "x.api key")
 * separate words.
 */
export function keyTokens(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
}

export type SensitiveKeyMatcher = (key: string) => boolean;

/**
 * A key is sensitive when, for some word boundary in it, the words up to that
 * boundary joined without separators end with a listed name (also joined).
 * So "api_key" catches apiKey, api-key, API_KEY, x-api-key, XApiKey, apikey and
 * ApiKeyId; "token" catches access_token, accessToken, csrftoken and
 * token_type; "secret" catches client_secret. A listed name never matches in
 * the middle of a word: "tokenizer", "secretary" and "max_tokens" are not
 * sensitive (plurals are not folded: list "tokens" to catch them).
 */
export function sensitiveKeyMatcher(extra: readonly string[] = []): SensitiveKeyMatcher {
  const names = [...new Set([...DEFAULT_SENSITIVE_KEYS, ...extra].map((k) => keyTokens(k).join("")))].filter(
    (k) => k.length > 0,
  );
  // Payloads repeat the same keys many times over; judge each spelling once.
  const seen = new Map<string, boolean>();
  return (key: string) => {
    const known = seen.get(key);
    if (known !== undefined) return known;
    let joined = "";
    let hit = false;
    for (const t of keyTokens(key)) {
      joined += t;
      if (names.some((n) => joined.endsWith(n))) {
        hit = true;
        break;
      }
    }
    if (seen.size < 10_000) seen.set(key, hit);
    return hit;
  };
}

function escapePointer(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

export type RedactOptions = {
  /** Extra key names (the organization's list) added to DEFAULT_SENSITIVE_KEYS. */
  sensitiveKeys?: readonly string[];
  /** Containers nested deeper than this are replaced whole (fail closed). */
  maxDepth?: number;
};

export type RedactResult = {
  redacted: JsonValue;
  /** RFC 6901 JSON Pointers of every replaced value ("" is the root). */
  paths: string[];
  counts: RedactionCounts;
};

/**
 * Deep-walks a JSON value and returns a redacted copy. Input that is not
 * plain JSON is brought to its JSON form first (toJSON, undefined dropped,
 * bigint as a string, non-finite numbers as null), so the result is always
 * storable. Integers are checked as card numbers too, since agents send those
 * as numbers as often as strings.
 */
export function redactParams(value: unknown, opts: RedactOptions = {}): RedactResult {
  const isSensitive = sensitiveKeyMatcher(opts.sensitiveKeys ?? []);
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const paths: string[] = [];
  const counts: RedactionCounts = {};
  const record = (path: string, kind: RedactionKind, n = 1) => {
    paths.push(path);
    counts[kind] = (counts[kind] ?? 0) + n;
  };

  const walk = (v: unknown, path: string, depth: number): JsonValue | undefined => {
    if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function") {
      v = (v as { toJSON: () => unknown }).toJSON();
    }
    if (v === null) return null;
    switch (typeof v) {
      case "string": {
        const secrets = redactSecretsInText(v, { isSensitive });
        if (secrets.count > 0) counts.key = (counts.key ?? 0) + secrets.count;
        const r = redactPii(secrets.text);
        const n = Object.values(r.counts).reduce((a, b) => a + b, 0);
        if (n > 0) addCounts(counts, r.counts);
        if (n > 0 || secrets.count > 0) paths.push(path);
        return r.text;
      }
      case "number":
        if (!Number.isFinite(v)) return null;
        if (isCardNumberValue(v)) {
          record(path, "card");
          return piiMarker("card");
        }
        return v;
      case "boolean":
        return v;
      case "bigint":
        return walk(v.toString(), path, depth);
      case "object":
        break;
      default:
        return undefined;
    }
    if (depth >= maxDepth) {
      record(path, "depth");
      return "[REDACTED:depth]";
    }
    if (Array.isArray(v)) {
      return v.map((item, i) => walk(item, `${path}/${i}`, depth + 1) ?? null);
    }
    const entries: [string, JsonValue][] = [];
    for (const [k, item] of Object.entries(v as object)) {
      const p = `${path}/${escapePointer(k)}`;
      if (isSensitive(k)) {
        if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
        record(p, "key");
        entries.push([k, REDACTED]);
        continue;
      }
      const w = walk(item, p, depth + 1);
      if (w !== undefined) entries.push([k, w]);
    }
    // fromEntries defines own properties, so a "__proto__" key stays data.
    return Object.fromEntries(entries);
  };

  const redacted = walk(value, "", 0) ?? null;
  return { redacted, paths, counts };
}

/**
 * A URL for the record: query parameters with secret-looking names get
 * REDACTED as their value, userinfo is dropped, and PII elsewhere in the URL
 * is replaced as in any string. Text that is not an absolute URL is treated
 * as a plain string.
 */
export function redactUrl(raw: string, opts: Pick<RedactOptions, "sensitiveKeys"> = {}): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return redactPii(raw).text;
  }
  const isSensitive = sensitiveKeyMatcher(opts.sensitiveKeys ?? []);
  url.username = "";
  url.password = "";
  if (url.search !== "") {
    // Values are judged decoded ("a%40b.com" is an email); markers are put
    // back unencoded so the record reads the same as everywhere else.
    const params = [...url.searchParams.entries()].map(([k, v]) => [k, isSensitive(k) ? REDACTED : redactPii(v).text]);
    url.search = new URLSearchParams(params).toString();
  }
  return redactPii(
    url.href.replace(
      /%5BREDACTED(%3A[a-z]+)?%5D/g,
      (_m, kind?: string) => `[REDACTED${kind ? `:${kind.slice(3)}` : ""}]`,
    ),
  ).text;
}

/**
 * Secrets inside free text, for bodies that are not JSON (form-encoded
 * `access_token=…&…`, `Authorization: Bearer …` header dumps, `.env` or YAML
 * `password: …`, XML `<client_secret>…</client_secret>`, a PEM private key).
 * Names are judged by the same matcher as JSON keys (sensitiveKeyMatcher), so
 * `access_token`, `client-secret`, `X-Api-Key` and an organization's own names
 * are caught wherever they appear as a name; credentials after an HTTP auth
 * scheme (Bearer, Basic) and PEM private keys are caught whatever names them.
 * Each replaced value becomes REDACTED and counts as a "key" redaction. The
 * patterns are linear (no nested quantifiers), so a hostile body costs one scan.
 */
export function redactSecretsInText(
  text: string,
  opts: Pick<RedactOptions, "sensitiveKeys"> & { isSensitive?: SensitiveKeyMatcher } = {},
): { text: string; count: number } {
  const isSensitive = opts.isSensitive ?? sensitiveKeyMatcher(opts.sensitiveKeys ?? []);
  let count = 0;
  // Every pattern needs a separator, a tag or an auth scheme; most strings have none.
  if (!/[=:<]|bearer|basic/i.test(text)) return { text, count };
  const hit = () => {
    count++;
    return REDACTED;
  };
  let out = text;
  if (out.includes("PRIVATE KEY-----")) {
    out = out.replace(PEM_PRIVATE_KEY_RE, () => hit());
  }
  out = out.replace(AUTH_SCHEME_RE, (m, scheme: string, cred: string) =>
    isCredential(scheme, cred) ? `${scheme} ${hit()}` : m,
  );
  out = out.replace(XML_ELEMENT_RE, (m, name: string, attrs: string | undefined, value: string) =>
    value !== REDACTED && value.trim() !== "" && isSensitive(name) ? `<${name}${attrs ?? ""}>${hit()}</${name}>` : m,
  );
  out = redactNamedValues(out, isSensitive, hit);
  return { text: out, count };
}

const PEM_PRIVATE_KEY_RE =
  /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----(?:[^-]|-(?!----)){0,20000}-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----/g;

// "Bearer <token68>" / "Basic <base64>" (RFC 9110 §11.4 credentials).
const AUTH_SCHEME_RE = /(?<![A-Za-z0-9])(Bearer|Basic)[ \t]+([A-Za-z0-9\-._~+/]{6,4096}=*)/gi;

function isCredential(scheme: string, cred: string): boolean {
  if (scheme.toLowerCase() === "basic") {
    // Base64 of "user:password": decoding must give printable text with a colon.
    const decoded = Buffer.from(cred, "base64").toString("latin1");
    return /^[\x20-\x7e]+$/.test(decoded) && decoded.includes(":");
  }
  // A token, not an English word after "bearer": digits, punctuation, mixed case or length.
  return /[0-9\-._~+/=]/.test(cred) || (/[a-z]/.test(cred) && /[A-Z]/.test(cred.slice(1))) || cred.length >= 20;
}

const XML_ELEMENT_RE = /<([A-Za-z_][\w.:-]{0,63})(\s[^<>]{0,512})?>([^<]{0,8192})<\/\1>/g;

// A name, bare or quoted, then "=" or ":" (form fields, query strings, header
// lines, .env, YAML, JSON that did not parse). The value's extent is found by
// hand from there, so a pair nested in another value is still seen.
const NAME_SEP_RE = /(?<![A-Za-z0-9_.\-])(["']?)([A-Za-z_][A-Za-z0-9_.\-]{0,63})\1[ \t]*([=:])[ \t]*/g;
const MAX_VALUE = 8192;
const ALREADY_REDACTED_RE = /^(?:[A-Za-z]{1,32} )?\[REDACTED\]/;

function redactNamedValues(text: string, isSensitive: SensitiveKeyMatcher, hit: () => string): string {
  let out = "";
  let copied = 0;
  NAME_SEP_RE.lastIndex = 0;
  for (let m = NAME_SEP_RE.exec(text); m !== null; m = NAME_SEP_RE.exec(text)) {
    const name = m[2]!;
    if (!isSensitive(name)) continue;
    const start = m.index + m[0].length;
    // "Authorization: Bearer [REDACTED]": the credential is already gone.
    if (ALREADY_REDACTED_RE.test(text.slice(start, start + 64 + REDACTED.length))) continue;
    const first = text[start];
    let valueStart = start;
    let valueEnd: number;
    if (first === '"' || first === "'") {
      valueStart = start + 1;
      valueEnd = valueStart;
      while (
        valueEnd < text.length &&
        valueEnd - valueStart < MAX_VALUE &&
        text[valueEnd] !== first &&
        text[valueEnd] !== "\n"
      )
        valueEnd++;
    } else {
      const stop = m[3] === ":" ? /[\r\n,;}\]<"']/ : /[\s&;,<>"'}\]]/;
      valueEnd = start;
      while (valueEnd < text.length && valueEnd - start < MAX_VALUE && !stop.test(text[valueEnd]!)) valueEnd++;
      while (valueEnd > start && /[ \t]/.test(text[valueEnd - 1]!)) valueEnd--;
    }
    const value = text.slice(valueStart, valueEnd);
    if (value.trim() === "") continue;
    out += text.slice(copied, valueStart) + hit();
    copied = valueEnd;
    NAME_SEP_RE.lastIndex = valueEnd;
  }
  return out + text.slice(copied);
}
