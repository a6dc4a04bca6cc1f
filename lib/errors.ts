/**
 * The one error type. Domain code throws AppError with a code; the HTTP layer
 * maps the code to a status through ERROR_STATUS and renders RFC 9457
 * problem+json. `message` is safe to show to the client; anything internal
 * goes in `cause` and only reaches the log.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthenticated: 401,
  /** The session has passed the password but not its second factor yet. */
  mfa_required: 401,
  /** The operation needs a fresh second factor (a step-up grant for exactly this operation). */
  step_up_required: 401,
  /** The session must confirm a fresh second factor before anything else (an alert rule's require_step_up). */
  session_step_up_required: 401,
  forbidden: 403,
  /** The organization requires MFA and the member has no compliant factor: they may only enrol. */
  mfa_enrollment_required: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_TITLE: Record<ErrorCode, string> = {
  bad_request: "Bad request",
  unauthenticated: "Authentication required",
  mfa_required: "Second factor required",
  step_up_required: "Step-up required",
  session_step_up_required: "Confirm it's you",
  forbidden: "Forbidden",
  mfa_enrollment_required: "MFA enrolment required",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  conflict: "Conflict",
  payload_too_large: "Payload too large",
  unsupported_media_type: "Unsupported media type",
  validation_failed: "Validation failed",
  rate_limited: "Too many requests",
  internal: "Internal error",
  unavailable: "Service unavailable",
};

export type FieldError = { path: string; message: string };

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly errors?: FieldError[];
  readonly headers?: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { errors?: FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "AppError";
    this.code = code;
    this.errors = opts.errors;
    this.headers = opts.headers;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

export const notFound = (what = "Resource") => new AppError("not_found", `${what} not found`);
export const forbidden = (message = "You do not have permission to do this") => new AppError("forbidden", message);
export const conflict = (message: string) => new AppError("conflict", message);
export const validation = (message: string, errors?: FieldError[]) =>
  new AppError("validation_failed", message, { errors });
