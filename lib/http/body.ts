import { AppError } from "../errors";

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a JSON body with a hard size cap, enforced on the declared length and
 * again while streaming (a lying Content-Length cannot get past it).
 */
export async function readJsonBody(
  req: Request,
  maxBytes = DEFAULT_MAX_BODY_BYTES,
  mediaTypes: readonly string[] = ["application/json"],
): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  const mediaType = type.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!mediaTypes.includes(mediaType)) {
    throw new AppError("unsupported_media_type", `Send the body as ${mediaTypes.join(" or ")}`);
  }
  const text = await readBoundedText(req, maxBytes, "A JSON body is required");
  if (text.trim() === "") throw new AppError("bad_request", "A JSON body is required");
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new AppError("bad_request", "The body is not valid JSON");
  }
  assertStorableStrings(value, "body");
  return value;
}

// A NUL character (PostgreSQL refuses it in text and jsonb) or a UTF-16 surrogate without
// its pair (not representable in UTF-8).
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Refuses, with 422 naming the field, any string (key or value) that cannot be
 * stored: checked once at the edge for every JSON body and query string, so no
 * such string reaches a query and turns into a 500.
 */
export function assertStorableStrings(value: unknown, where: "body" | "query string"): void {
  const stack: { v: unknown; path: string }[] = [{ v: value, path: "" }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v === "string") {
      if (UNSTORABLE.test(v)) throw unstorable(where, path || "(root)");
    } else if (Array.isArray(v)) {
      v.forEach((e, i) => stack.push({ v: e, path: path ? `${path}.${i}` : String(i) }));
    } else if (v !== null && typeof v === "object") {
      for (const [k, e] of Object.entries(v)) {
        const at = path ? `${path}.${k}` : k;
        if (UNSTORABLE.test(k)) throw unstorable(where, path || "(root)");
        stack.push({ v: e, path: at });
      }
    }
  }
}

function unstorable(where: string, path: string): AppError {
  const message = "contains a NUL character or an unpaired UTF-16 surrogate, which cannot be stored";
  return new AppError("validation_failed", `The ${where} ${message}`, {
    errors: [{ path: path.replace(/[^\x20-\x7e]/g, "?").slice(0, 200), message }],
  });
}

/** The body as text, capped on the declared length and again while streaming. */
async function readBoundedText(req: Request, maxBytes: number, missing: string): Promise<string> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) {
    throw new AppError("payload_too_large", `Body exceeds ${maxBytes} bytes`);
  }
  if (!req.body) throw new AppError("bad_request", missing);

  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new AppError("payload_too_large", `Body exceeds ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** An application/x-www-form-urlencoded body (a SAML POST binding), with the same cap. */
export async function readFormBody(req: Request, maxBytes: number): Promise<URLSearchParams> {
  const mediaType = (req.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/x-www-form-urlencoded") {
    throw new AppError("unsupported_media_type", "Send the body as application/x-www-form-urlencoded");
  }
  return new URLSearchParams(await readBoundedText(req, maxBytes, "A form body is required"));
}
