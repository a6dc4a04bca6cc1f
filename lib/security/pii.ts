/**
 * PII found inside free text, replaced in place by `[REDACTED:<kind>]`.
 *
 * The detectors lean towards precision on purpose: agent traffic is full of
 * ids, timestamps, prices and versions, and a redactor that eats those makes
 * the stored record useless. Each pattern therefore requires the shape that
 * only the PII has (separators for phone numbers, Luhn and an issuer digit for
 * cards, the SSA's validity rules for SSNs) rather than "enough digits".
 */

export const PII_KINDS = ["email", "card", "ssn", "phone"] as const;
export type PiiKind = (typeof PII_KINDS)[number];
export type PiiCounts = Partial<Record<PiiKind, number>>;

export function piiMarker(kind: PiiKind): string {
  return `[REDACTED:${kind}]`;
}

/** Luhn (mod 10) over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

// Local part and labels are bounded so a long run of word characters costs a
// bounded scan per start position instead of backtracking.
const EMAIL_RE =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})\.){1,8}[A-Za-z]{2,63}(?![A-Za-z0-9-])/g;

// Runs of digit groups joined by single spaces or dashes; cards are looked
// for inside each run (see redactCardsInRun). Not preceded by a digit, a
// decimal point or "+", so a fragment of a decimal or of an international
// phone number is never a "card".
const DIGIT_RUN_RE = /(?<![\d.,+])\d+(?:[ -]\d+)*/g;

const SSN_RE = /(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])/g;

// North American numbers need separators: "(415) 555-0123", "415-555-0123",
// "415.555.0123", "+1 415 555 0123", "1-800-555-0199". Area code and exchange
// start with 2–9 (NANP), which rules out most dashed ids.
const NANP_RE =
  /(?<![\w+.-])(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\)[ .-]?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}(?![\w-]|\.\d)/g;

// International numbers are recognised only with the leading "+" that E.164
// display format uses; the digit count (8–15) is checked after matching.
const INTL_RE = /(?<![\w+])\+[1-9]\d{0,3}(?:[ .-]?\(?\d{1,5}\)?){1,6}(?![\w-]|\.\d)/g;

function countDigits(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

function isCardNumber(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  // Issuer identification numbers start with 2–6 (Mastercard 2-series, Amex,
  // Diners and JCB 3, Visa 4, Mastercard 5, Discover/UnionPay 6). Millisecond
  // timestamps and snowflake ids start with 1 and would otherwise pass Luhn
  // one time in ten.
  const first = digits.charCodeAt(0) - 48;
  if (first < 2 || first > 6) return false;
  return luhnValid(digits);
}

/**
 * Finds card numbers inside one run of digit groups: either a single group of
 * 13–19 digits, or consecutive groups of 3–6 digits (4-4-4-4, 4-6-5,
 * 4-4-4-4-3…) totalling 13–19. Matching by whole groups keeps an adjacent
 * number ("4111111111111111 123-45-6789") from being swallowed, and the
 * group-size rule keeps lists of small numbers from adding up to a "card".
 */
function redactCardsInRun(run: string, onCard: () => string): string {
  const groups: { start: number; end: number; digits: string }[] = [];
  for (const m of run.matchAll(/\d+/g)) groups.push({ start: m.index, end: m.index + m[0].length, digits: m[0] });
  let out = "";
  let copied = 0;
  let i = 0;
  while (i < groups.length) {
    let best = -1;
    const first = groups[i]!;
    if (isCardNumber(first.digits)) best = i;
    else if (first.digits.length >= 3 && first.digits.length <= 6) {
      let digits = first.digits;
      for (let j = i + 1; j < groups.length; j++) {
        const g = groups[j]!;
        if (g.digits.length < 3 || g.digits.length > 6) break;
        digits += g.digits;
        if (digits.length > 19) break;
        if (isCardNumber(digits)) best = j;
      }
    }
    if (best === -1) {
      i++;
      continue;
    }
    out += run.slice(copied, first.start) + onCard();
    copied = groups[best]!.end;
    i = best + 1;
  }
  return out + run.slice(copied);
}

function isSsn(area: string, group: string, serial: string): boolean {
  if (area === "000" || area === "666" || area.startsWith("9")) return false;
  if (group === "00" || serial === "0000") return false;
  return true;
}

function isIntlPhone(match: string): boolean {
  const n = countDigits(match);
  return n >= 8 && n <= 15;
}

/**
 * Replaces emails, card numbers (Luhn-valid), US SSNs and phone numbers in
 * `text`. Emails go first because an address may contain digits that would
 * otherwise look like a phone number; cards before SSNs and phones because a
 * grouped card number contains both shapes; "+"-prefixed numbers before
 * North American ones so "+44 …" is taken whole.
 */
export function redactPii(text: string): { text: string; counts: PiiCounts } {
  const counts: PiiCounts = {};
  // Every kind needs an "@" or a digit; most strings have neither.
  if (!/[\d@]/.test(text)) return { text, counts };
  const bump = (kind: PiiKind) => {
    counts[kind] = (counts[kind] ?? 0) + 1;
    return piiMarker(kind);
  };
  let out = text.replace(EMAIL_RE, () => bump("email"));
  out = out.replace(DIGIT_RUN_RE, (run) => redactCardsInRun(run, () => bump("card")));
  out = out.replace(SSN_RE, (m, a: string, g: string, s: string) => (isSsn(a, g, s) ? bump("ssn") : m));
  out = out.replace(INTL_RE, (m) => (isIntlPhone(m) ? bump("phone") : m));
  out = out.replace(NANP_RE, () => bump("phone"));
  return { text: out, counts };
}

/** True when `n` is an integer whose decimal digits form a valid card number. */
export function isCardNumberValue(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && isCardNumber(String(n));
}

export function addCounts(into: PiiCounts, from: PiiCounts): void {
  for (const k of PII_KINDS) {
    const v = from[k];
    if (v) into[k] = (into[k] ?? 0) + v;
  }
}
