import { AppError, ERROR_STATUS, ERROR_TITLE, type ErrorCode } from "../errors";
import { log } from "../log";

/** RFC 9457 problem details. */
export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  request_id: string;
  errors?: { path: string; message: string }[];
};

export function problemResponse(err: AppError, requestId: string, extraHeaders: Record<string, string> = {}): Response {
  const body: Problem = {
    type: `urn:warden:problem:${err.code}`,
    title: ERROR_TITLE[err.code],
    status: ERROR_STATUS[err.code],
    detail: err.message,
    code: err.code,
    request_id: requestId,
    ...(err.errors?.length ? { errors: err.errors } : {}),
  };
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: {
      "content-type": "application/problem+json",
      "cache-control": "no-store",
      "x-request-id": requestId,
      ...err.headers,
      ...extraHeaders,
    },
  });
}

const DB_UNAVAILABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "57P01",
  "57P03",
  "53300",
  "P1001",
  "P1017",
  "P2024",
]);

function looksLikeDatabaseDown(e: unknown): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === "object"; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && DB_UNAVAILABLE.has(code)) return true;
    const msg = (cur as { message?: unknown }).message;
    if (
      typeof msg === "string" &&
      /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(msg)
    )
      return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Turns anything thrown into a problem response. Typed errors keep their
 * status; anything else is logged with the request id and answered with a
 * generic 500 (or 503 when the database is unreachable) — no internals leak.
 */
export function toProblem(e: unknown, requestId: string): Response {
  if (e instanceof AppError) {
    if (e.status >= 500) log().error({ err: e, cause: e.cause, requestId }, e.message);
    return problemResponse(e, requestId);
  }
  if (looksLikeDatabaseDown(e)) {
    log().error({ err: e, requestId }, "database unavailable");
    return problemResponse(new AppError("unavailable", "The database is unavailable. Try again shortly."), requestId, {
      "retry-after": "5",
    });
  }
  log().error({ err: e, requestId }, "unhandled error");
  return problemResponse(
    new AppError("internal", "An unexpected error occurred. Quote the request id when reporting it."),
    requestId,
  );
}
