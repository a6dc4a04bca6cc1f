import { AsyncLocalStorage } from "node:async_hooks";
import pino from "pino";
import { logLevel } from "./env";

/**
 * The id of the HTTP request being served (lib/http/route.ts sets it around
 * each request; it is the request_id of the problem+json and X-Request-Id).
 * Log lines written while serving it carry it as `requestId`, and audit events
 * appended during it store it (lib/audit/append-event.ts), so the three join.
 */
const requestScope = new AsyncLocalStorage<{ requestId: string }>();

export function withRequestId<T>(requestId: string, fn: () => T): T {
  return requestScope.run({ requestId }, fn);
}

export function currentRequestId(): string | null {
  return requestScope.getStore()?.requestId ?? null;
}

/**
 * Structured JSON logs on stdout. Internal error detail goes here, never to
 * the client; log lines carry the request id the client saw.
 *
 * Secrets never reach a log line, in two layers:
 * 1. pino's `redact` censors fields that hold secrets by name (passwords,
 *    tokens, codes, secrets, authorization and cookie headers, action
 *    params), wherever a caller puts them;
 * 2. every finished line is scrubbed of what looks like a credential, wherever
 *    it appears — inside an error message, a database error's detail, a URL:
 *    Warden API keys, bearer tokens, next-auth session cookies and JWTs,
 *    `password=`/`token=`-style pairs, and TOTP codes in a `"code"` field.
 * test/integration/log-canary.test.ts plants secrets in every input and fails
 * if any line holds one.
 */
let logger: pino.Logger | undefined;

const CENSOR = "[redacted]";

/** Field names whose values are secrets, at the top level and one level down. */
const SECRET_FIELDS = [
  "password",
  "current_password",
  "new_password",
  "token",
  "secret",
  "recovery_code",
  "authorization",
  "cookie",
  "params",
  "params_redacted",
  "body",
];

const SCRUBBERS: [RegExp, string][] = [
  // Warden API keys: wdn_<env>_<id><secret><checksum>.
  [/wdn_(live|test)_[A-Za-z0-9]+/g, `wdn_$1_${CENSOR}`],
  // SCIM tokens (wscim_<id>_<secret>) and webhook signing secrets (whsec_…).
  [/wscim_[A-Za-z0-9]+_[A-Za-z0-9_-]+/g, `wscim_${CENSOR}`],
  [/whsec_[A-Za-z0-9+/=]+/g, `whsec_${CENSOR}`],
  // Bearer credentials and session cookies (next-auth's, secure-prefixed or not).
  [/(Bearer\s+)[^\s"',;]+/gi, `$1${CENSOR}`],
  [/((?:__Secure-)?next-auth\.[a-z-]+-token=)[^\s"';]+/gi, `$1${CENSOR}`],
  // JWTs and JWEs (a session cookie's value on its own).
  [/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_.-]*/g, CENSOR],
  // key=value pairs in query strings and form bodies.
  [
    /((?:password|passwd|pwd|token|access_token|refresh_token|id_token|secret|client_secret|api_key|code)=)[^&\s"']+/gi,
    `$1${CENSOR}`,
  ],
  // A TOTP code (6 to 8 digits) or a recovery code (xxxx-xxxx-xxxx-xxxx) in a "code" field; an
  // error's code ("ECONNREFUSED", "P2002") stays readable.
  [/(\\?"(?:code|totp)\\?"\s*:\s*\\?")(?:\d{6,8}|[a-z0-9]{4}(?:-?[a-z0-9]{4}){3})(?=\\?")/gi, `$1${CENSOR}`],
];

/** Removes what looks like a credential from one serialized log line. */
export function scrubLogLine(line: string): string {
  let out = line;
  for (const [pattern, replacement] of SCRUBBERS) out = out.replace(pattern, replacement);
  return out;
}

type Sink = (line: string) => void;
const stdoutSink: Sink = (line) => {
  process.stdout.write(line);
};
let sink: Sink = stdoutSink;

export function log(): pino.Logger {
  if (!logger) {
    logger = pino(
      {
        level: logLevel(),
        base: { service: "warden" },
        // An explicit requestId in a log call wins over the scope's.
        mixin: () => {
          const requestId = currentRequestId();
          return requestId ? { requestId } : {};
        },
        redact: {
          paths: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]).concat([
            "req.headers.authorization",
            "req.headers.cookie",
            'headers["set-cookie"]',
          ]),
          censor: CENSOR,
        },
      },
      { write: (line: string) => sink(scrubLogLine(line)) },
    );
  }
  return logger;
}

/**
 * For tests: every log line (already scrubbed) goes to `write` instead of
 * stdout until the returned function is called.
 */
export function captureLogs(write: Sink): () => void {
  sink = write;
  return () => {
    sink = stdoutSink;
  };
}
