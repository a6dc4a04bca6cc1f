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
 */
let logger: pino.Logger | undefined;

export function log(): pino.Logger {
  if (!logger) {
    logger = pino({
      level: logLevel(),
      base: { service: "warden" },
      // An explicit requestId in a log call wins over the scope's.
      mixin: () => {
        const requestId = currentRequestId();
        return requestId ? { requestId } : {};
      },
      redact: {
        paths: ["password", "*.password", "token", "*.token", "authorization", "*.authorization", "cookie", "*.cookie"],
        censor: "[redacted]",
      },
    });
  }
  return logger;
}
