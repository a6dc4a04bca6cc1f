import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { luhnValid, redactPii } from "@/lib/security/pii";

const r = (s: string) => redactPii(s).text;

describe("Luhn", () => {
  it.each([
    "4111111111111111",
    "5555555555554444",
    "378282246310005",
    "6011111111111117",
    "4222222222222",
    "79927398713",
  ])("%s is valid", (n) => expect(luhnValid(n)).toBe(true));
  it.each(["4111111111111112", "1234567812345678", "79927398710", "", "41a1"])("%j is not", (n) =>
    expect(luhnValid(n)).toBe(false),
  );

  it("changing any one digit breaks it (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 9 }), (pos, delta) => {
        const n = "4111111111111111";
        const d = (Number(n[pos]) + delta) % 10;
        expect(luhnValid(n.slice(0, pos) + d + n.slice(pos + 1))).toBe(false);
      }),
    );
  });
});

describe("emails", () => {
  it.each([
    ["contact alice@example.com today", "contact [REDACTED:email] today"],
    ["<bob.smith+tag@mail.example.co.uk>", "<[REDACTED:email]>"],
    ["a@b.io, c_d@e-f.org.", "[REDACTED:email], [REDACTED:email]."],
    ["mailto:X.Y@Example.COM?subject=hi", "mailto:[REDACTED:email]?subject=hi"],
  ])("%j", (input, out) => expect(r(input)).toBe(out));

  it.each(["user@localhost", "@handle", "a@b", "version 1.2.3@beta", "foo@@bar.com"])("leaves %j alone", (s) => {
    expect(redactPii(s).counts.email ?? 0).toBe(0);
  });
});

describe("cards", () => {
  it.each([
    ["card 4111111111111111 ok", "card [REDACTED:card] ok"],
    ["4111 1111 1111 1111", "[REDACTED:card]"],
    ["4111-1111-1111-1111.", "[REDACTED:card]."],
    ["amex 3782 822463 10005", "amex [REDACTED:card]"],
    ["5555555555554444", "[REDACTED:card]"],
    ["4222222222222", "[REDACTED:card]"],
  ])("Luhn-valid %j is redacted", (input, out) => expect(r(input)).toBe(out));

  it.each([
    "4111111111111112",
    "4111 1111 1111 1112",
    "1234 5678 9012 3456",
    // Luhn-valid but 12 and 20 digits long
    "411111111113",
    "41111111111111111113",
    // Luhn-valid millisecond timestamp: issuer digit 1 is not a card
    "1700000000004",
    "order 79927398713",
  ])("%j is left alone", (s) => {
    expect(r(s)).toBe(s);
  });
});

describe("SSNs", () => {
  it("redacts dashed SSNs", () => {
    expect(r("ssn 123-45-6789.")).toBe("ssn [REDACTED:ssn].");
  });
  it.each(["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "2024-01-15", "123-45-67890"])(
    "leaves %j alone",
    (s) => expect(r(s)).toBe(s),
  );
});

describe("phones", () => {
  it.each([
    ["call (415) 555-0123 now", "call [REDACTED:phone] now"],
    ["415-555-0123", "[REDACTED:phone]"],
    ["415.555.0123", "[REDACTED:phone]"],
    ["415 555 0123", "[REDACTED:phone]"],
    ["1-800-555-0199", "[REDACTED:phone]"],
    ["+1 415 555 0123", "[REDACTED:phone]"],
    ["+1 (415) 555-0123", "[REDACTED:phone]"],
    ["+44 20 7946 0958", "[REDACTED:phone]"],
    ["+33 1 23 45 67 89", "[REDACTED:phone]"],
    ["+4915112345678", "[REDACTED:phone]"],
    ["tel:+81-3-1234-5678", "tel:[REDACTED:phone]"],
  ])("%j", (input, out) => expect(r(input)).toBe(out));

  it.each([
    "in 2024 we shipped 1999 units",
    "order id 123456789",
    "id 4155550123",
    "price $1,299.99 or 1299.99 EUR",
    "date 2024-01-15 and 15/01/2024",
    "timestamp 1700000000",
    "version 10.2.3.4",
    "ip 192.168.100.200",
    "call 123-456-7890",
    "ratio +5.5%",
    "offset +05:30",
    "uuid 550e8400-e29b-41d4-a716-446655440000",
    "isbn 978-3-16-148410-0",
    "range 100-200-3000",
    "+12 apples",
  ])("no false positive in %j", (s) => {
    expect(redactPii(s)).toEqual({ text: s, counts: {} });
  });
});

it("counts each kind", () => {
  const { counts } = redactPii("a@b.com c@d.com 4111111111111111 123-45-6789 (415) 555-0123");
  expect(counts).toEqual({ email: 2, card: 1, ssn: 1, phone: 1 });
});

it("an email with digits is one email, not a phone", () => {
  expect(redactPii("john.4155550123@example.com")).toEqual({ text: "[REDACTED:email]", counts: { email: 1 } });
});

it("runs in bounded time on adversarial input", () => {
  const inputs = [
    "a".repeat(200_000),
    "1 ".repeat(100_000),
    "+1".repeat(100_000),
    "a.".repeat(100_000) + "@",
    "1-".repeat(100_000),
  ];
  for (const s of inputs) {
    const t = Date.now();
    redactPii(s);
    expect(Date.now() - t).toBeLessThan(2000);
  }
});
