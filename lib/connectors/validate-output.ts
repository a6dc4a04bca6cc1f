import { AppError } from "../errors";
import { detectInjection, type InjectionResult } from "../security/injection";
import { redactPii } from "../security/pii";
import { redactParams, redactSecretsInText, type RedactionCounts } from "../security/redact";

export type ValidatedOutput = {
  text: string;
  /** True when the redacted text was cut to maxLength. */
  truncated: boolean;
  /** What was replaced, by kind ("key" = a value under a secret-named JSON key). */
  redactions: RedactionCounts;
  injection: InjectionResult;
  /** "json" when the text parsed as a JSON object or array and was redacted structurally. */
  format: "json" | "text";
};

export type ValidateOutputOptions = {
  /** Maximum length of the returned text, in UTF-16 code units. */
  maxLength: number;
  /** The organization's extra secret key names (JSON keys, and names in text: `name=value`, `name: value`). */
  sensitiveKeys?: readonly string[];
};

function truncate(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  let end = max;
  // Never leave half a surrogate pair at the cut.
  if (end > 0) {
    const c = text.charCodeAt(end - 1);
    if (c >= 0xd800 && c <= 0xdbff) end--;
  }
  return { text: text.slice(0, end), truncated: true };
}

function parseJsonContainer(text: string): unknown {
  if (!/^\s*[[{]/.test(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Makes connector output safe to hand back to an agent. Injection is judged on
 * the whole original text (a flag, the text is not altered for it). Redaction
 * runs before truncation so a cut can never leave the unredacted half of a
 * card number or email behind. JSON output is redacted structurally (secret-
 * named keys, and secrets and PII inside strings) and re-serialised compactly;
 * any other body (form-encoded, text, XML, HTML) has secrets written as text
 * (redactSecretsInText) and PII replaced in place.
 */
export function validateOutput(text: string, opts: ValidateOutputOptions): ValidatedOutput {
  if (!Number.isInteger(opts.maxLength) || opts.maxLength < 0) {
    throw new AppError("validation_failed", "maxLength must be a non-negative integer", {
      errors: [{ path: "maxLength", message: "must be a non-negative integer" }],
    });
  }
  const injection = detectInjection(text);
  const json = parseJsonContainer(text);
  let redactedText: string;
  let redactions: RedactionCounts;
  let format: ValidatedOutput["format"];
  if (json !== undefined) {
    const r = redactParams(json, { sensitiveKeys: opts.sensitiveKeys });
    redactedText = JSON.stringify(r.redacted);
    redactions = r.counts;
    format = "json";
  } else {
    // Form-encoded, header dumps, .env, XML…: secrets written as text, then PII.
    const secrets = redactSecretsInText(text, { sensitiveKeys: opts.sensitiveKeys });
    const r = redactPii(secrets.text);
    redactedText = r.text;
    redactions = secrets.count > 0 ? { key: secrets.count, ...r.counts } : r.counts;
    format = "text";
  }
  const t = truncate(redactedText, opts.maxLength);
  return { text: t.text, truncated: t.truncated, redactions, injection, format };
}
