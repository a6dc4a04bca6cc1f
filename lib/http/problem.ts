import { AppError, ERROR_STATUS, ERROR_TITLE, type ErrorCode } from "../errors";
import { classifyDbFailure } from "../db/errors";
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

/** Seconds a client should wait: a restart takes a few seconds; a lock wait clears as soon as the holder is gone. */
export const RETRY_AFTER_SECONDS = { unavailable: 5, busy: 2 } as const;

/**
 * Turns anything thrown into a problem response. Typed errors keep their
 * status; anything else is logged with the request id and answered with a
 * generic 500 (or 503 with Retry-After when the database is unreachable or
 * the request gave up waiting on it: lib/db/errors.ts) — no internals leak.
 */
export function toProblem(e: unknown, requestId: string): Response {
  // An AppError keeps its status, unless it is a 500 wrapping a database failure.
  const failure = e instanceof AppError && e.status !== 500 ? null : classifyDbFailure(e);
  if (e instanceof AppError && !failure) {
    if (e.status >= 500) log().error({ err: e, cause: e.cause, requestId }, e.message);
    const retry: Record<string, string> =
      e.status === 503 && !e.headers?.["retry-after"] ? { "retry-after": String(RETRY_AFTER_SECONDS.busy) } : {};
    return problemResponse(e, requestId, retry);
  }
  if (failure === "unavailable") {
    log().error({ err: e, requestId }, "database unavailable");
    return problemResponse(new AppError("unavailable", "The database is unavailable. Try again shortly."), requestId, {
      "retry-after": String(RETRY_AFTER_SECONDS.unavailable),
    });
  }
  if (failure === "busy") {
    log().warn({ err: e, requestId }, "database busy: gave up waiting");
    return problemResponse(
      new AppError("unavailable", "The service is busy with this organization's data. Try again shortly."),
      requestId,
      { "retry-after": String(RETRY_AFTER_SECONDS.busy) },
    );
  }
  log().error({ err: e, requestId }, "unhandled error");
  return problemResponse(
    new AppError("internal", "An unexpected error occurred. Quote the request id when reporting it."),
    requestId,
  );
}
