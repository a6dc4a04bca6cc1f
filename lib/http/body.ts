import { AppError } from "../errors";

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a JSON body with a hard size cap, enforced on the declared length and
 * again while streaming (a lying Content-Length cannot get past it).
 */
export async function readJsonBody(req: Request, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  const mediaType = type.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new AppError("unsupported_media_type", "Send the body as application/json");
  }
  const text = await readBoundedText(req, maxBytes, "A JSON body is required");
  if (text.trim() === "") throw new AppError("bad_request", "A JSON body is required");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError("bad_request", "The body is not valid JSON");
  }
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
